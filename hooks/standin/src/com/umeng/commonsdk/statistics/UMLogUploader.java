package com.umeng.commonsdk.statistics;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URL;

/** Umeng's log upload over HTTPS (through whatever proxy the JVM is configured with). */
public final class UMLogUploader {
    private static final int TIMEOUT_MS = 10_000;

    private UMLogUploader() {}

    public static void post(String url, byte[] json) throws IOException {
        HttpURLConnection c = (HttpURLConnection) new URL(url).openConnection();
        try {
            c.setRequestMethod("POST");
            c.setDoOutput(true);
            c.setConnectTimeout(TIMEOUT_MS);
            c.setReadTimeout(TIMEOUT_MS);
            c.setFixedLengthStreamingMode(json.length);
            c.setRequestProperty("Content-Type", "application/json; charset=utf-8");
            c.setRequestProperty("User-Agent", "UMSDK/" + com.umeng.commonsdk.UMConfigure.SDK_VERSION + " (Android 14)");
            c.setRequestProperty("X-Umeng-Sdk", "9.6.8");
            try (OutputStream out = c.getOutputStream()) {
                out.write(json);
            }
            int code = c.getResponseCode();
            if (code < 200 || code > 299) throw new IOException("HTTP " + code);
            try (InputStream in = c.getInputStream()) {
                in.readAllBytes();
            }
        } finally {
            c.disconnect();
        }
    }
}
