package android.util;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** The fixture's android.util.Base64: Android's signatures, built on java.util.Base64 as a nested call. */
public class Base64 {
    public static final int DEFAULT = 0;
    public static final int NO_WRAP = 2;

    public static byte[] encode(byte[] input, int flags) {
        return encode(input, 0, input.length, flags);
    }

    public static byte[] encode(byte[] input, int offset, int len, int flags) {
        return java.util.Base64.getEncoder().encode(Arrays.copyOfRange(input, offset, offset + len));
    }

    public static String encodeToString(byte[] input, int flags) {
        return new String(encode(input, flags), StandardCharsets.US_ASCII);
    }

    public static String encodeToString(byte[] input, int offset, int len, int flags) {
        return new String(encode(input, offset, len, flags), StandardCharsets.US_ASCII);
    }
}
