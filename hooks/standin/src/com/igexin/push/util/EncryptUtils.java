package com.igexin.push.util;

import android.util.Base64;
import java.nio.charset.StandardCharsets;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Getui's upload encryption: AES/CBC/PKCS5Padding with a key and IV baked into the SDK,
 * then android.util.Base64 (NO_WRAP). The key and IV are in docs/standin-fulltour.md, so
 * the ciphertext in the capture can be checked.
 */
public final class EncryptUtils {
    public static final String TRANSFORMATION = "AES/CBC/PKCS5Padding";
    public static final String KEY = "GtDemoShopKey016";
    public static final String IV = "0102030405060708";

    private EncryptUtils() {}

    public static String encryptToBase64(String plaintext) throws Exception {
        Cipher cipher = Cipher.getInstance(TRANSFORMATION);
        cipher.init(Cipher.ENCRYPT_MODE,
                new SecretKeySpec(KEY.getBytes(StandardCharsets.US_ASCII), "AES"),
                new IvParameterSpec(IV.getBytes(StandardCharsets.US_ASCII)));
        byte[] ciphertext = cipher.doFinal(plaintext.getBytes(StandardCharsets.UTF_8));
        return Base64.encodeToString(ciphertext, Base64.NO_WRAP);
    }
}
