package com.example.demoshop;

import java.io.FileInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.util.Locale;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A crypto-heavy workload for the hook-cost benchmark: loads a password-protected PKCS#12
 * store (PBKDF2 and the PKCS#12 KDF, thousands of HMAC and digest steps per load) `loads`
 * times, then computes `macs` HMAC-SHA256 over an app payload, and prints the seconds the
 * loads took and how many entries they found. Usage: KeyStoreBench STORE PASSWORD [loads=5] [macs=50].
 */
public final class KeyStoreBench {
    private KeyStoreBench() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 2) throw new IllegalArgumentException("usage: KeyStoreBench STORE PASSWORD [loads] [macs]");
        String path = args[0];
        char[] password = args[1].toCharArray();
        int loads = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        int macs = args.length > 3 ? Integer.parseInt(args[3]) : 50;
        InstrumentationGate.awaitIfRequested();

        int entries = 0;
        long t0 = System.nanoTime();
        for (int i = 0; i < loads; i++) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            try (InputStream in = new FileInputStream(path)) {
                store.load(in, password);
            }
            entries += store.size();
        }
        long elapsed = System.nanoTime() - t0;

        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec("app-secret".getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        long sink = 0;
        for (int i = 0; i < macs; i++) {
            sink += mac.doFinal(("device=" + i).getBytes(StandardCharsets.UTF_8))[0];
        }
        System.out.println(String.format(Locale.ROOT, "KeyStoreBench loads=%d entries=%d load_s=%.4f macs=%d sink=%d",
                loads, entries, elapsed / 1e9, macs, sink));
        System.exit(0);
    }
}
