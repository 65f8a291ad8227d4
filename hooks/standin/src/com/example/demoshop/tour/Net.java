package com.example.demoshop.tour;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;

/** HTTP(S) as the SDKs and the app send it; the JVM's proxy settings apply. Throws unless 2xx. */
public final class Net {
    private static final int TIMEOUT_MS = 10_000;

    private Net() {}

    public static void post(String url, String contentType, String body, String userAgent) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        HttpURLConnection c = (HttpURLConnection) new URL(url).openConnection();
        try {
            c.setRequestMethod("POST");
            c.setDoOutput(true);
            c.setConnectTimeout(TIMEOUT_MS);
            c.setReadTimeout(TIMEOUT_MS);
            c.setFixedLengthStreamingMode(bytes.length);
            c.setRequestProperty("Content-Type", contentType);
            c.setRequestProperty("User-Agent", userAgent);
            try (OutputStream out = c.getOutputStream()) {
                out.write(bytes);
            }
            finish(c);
        } finally {
            c.disconnect();
        }
    }

    public static void get(String url, String userAgent) throws IOException {
        HttpURLConnection c = (HttpURLConnection) new URL(url).openConnection();
        try {
            c.setConnectTimeout(TIMEOUT_MS);
            c.setReadTimeout(TIMEOUT_MS);
            c.setRequestProperty("User-Agent", userAgent);
            finish(c);
        } finally {
            c.disconnect();
        }
    }

    private static void finish(HttpURLConnection c) throws IOException {
        int code = c.getResponseCode();
        if (code < 200 || code > 299) throw new IOException("HTTP " + code);
        try (InputStream in = c.getInputStream()) {
            in.readAllBytes();
        }
    }

    /** A JSON string literal. */
    public static String q(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            if (ch == '"' || ch == '\\') sb.append('\\').append(ch);
            else if (ch < 0x20) sb.append(String.format("\\u%04x", (int) ch));
            else sb.append(ch);
        }
        return sb.append('"').toString();
    }
}
