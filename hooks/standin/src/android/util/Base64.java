package android.util;

import java.io.ByteArrayOutputStream;

/**
 * android.util.Base64 with AOSP's signatures and flags. Its own codec (as on Android), not
 * java.util.Base64, so a hook on one never sees a call made through the other.
 */
public class Base64 {
    public static final int DEFAULT = 0;
    public static final int NO_PADDING = 1;
    public static final int NO_WRAP = 2;
    public static final int CRLF = 4;
    public static final int URL_SAFE = 8;
    public static final int NO_CLOSE = 16;

    private static final char[] STANDARD = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".toCharArray();
    private static final char[] WEBSAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".toCharArray();
    private static final int LINE_GROUPS = 19; // 76 characters per line, as on Android

    private Base64() {}

    public static byte[] decode(String str, int flags) {
        return decode(str.getBytes(java.nio.charset.StandardCharsets.US_ASCII), flags);
    }

    public static byte[] decode(byte[] input, int flags) {
        return decode(input, 0, input.length, flags);
    }

    public static byte[] decode(byte[] input, int offset, int len, int flags) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(len * 3 / 4);
        int acc = 0;
        int bits = 0;
        for (int i = offset; i < offset + len; i++) {
            int c = input[i] & 0xff;
            int v;
            if (c >= 'A' && c <= 'Z') v = c - 'A';
            else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
            else if (c >= '0' && c <= '9') v = c - '0' + 52;
            else if (c == '+' || c == '-') v = 62;
            else if (c == '/' || c == '_') v = 63;
            else if (c == '=') break;
            else if (c == '\n' || c == '\r' || c == ' ' || c == '\t') continue;
            else throw new IllegalArgumentException("bad base-64");
            acc = (acc << 6) | v;
            bits += 6;
            if (bits >= 8) {
                bits -= 8;
                out.write((acc >> bits) & 0xff);
            }
        }
        return out.toByteArray();
    }

    public static String encodeToString(byte[] input, int flags) {
        return new String(encode(input, flags), java.nio.charset.StandardCharsets.US_ASCII);
    }

    public static String encodeToString(byte[] input, int offset, int len, int flags) {
        return new String(encode(input, offset, len, flags), java.nio.charset.StandardCharsets.US_ASCII);
    }

    public static byte[] encode(byte[] input, int flags) {
        return encode(input, 0, input.length, flags);
    }

    public static byte[] encode(byte[] input, int offset, int len, int flags) {
        char[] alphabet = (flags & URL_SAFE) != 0 ? WEBSAFE : STANDARD;
        boolean pad = (flags & NO_PADDING) == 0;
        boolean wrap = (flags & NO_WRAP) == 0;
        String eol = (flags & CRLF) != 0 ? "\r\n" : "\n";
        StringBuilder sb = new StringBuilder(len * 4 / 3 + 4);
        int groups = 0;
        for (int i = offset; i < offset + len; i += 3) {
            int n = Math.min(3, offset + len - i);
            int b = (input[i] & 0xff) << 16;
            if (n > 1) b |= (input[i + 1] & 0xff) << 8;
            if (n > 2) b |= input[i + 2] & 0xff;
            sb.append(alphabet[(b >> 18) & 63]).append(alphabet[(b >> 12) & 63]);
            if (n > 1) sb.append(alphabet[(b >> 6) & 63]); else if (pad) sb.append('=');
            if (n > 2) sb.append(alphabet[b & 63]); else if (pad) sb.append('=');
            if (wrap && ++groups == LINE_GROUPS) {
                sb.append(eol);
                groups = 0;
            }
        }
        if (wrap && groups > 0) sb.append(eol);
        return sb.toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }
}
