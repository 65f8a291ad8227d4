package com.example.demoshop.net;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;

/**
 * The one HTTP(S) client of the stand-in's app and SDKs; the JVM's proxy settings apply.
 * Headers are given as name, value pairs and set in that order (after Content-Type for a
 * POST), so each caller's requests keep their exact shape. Throws unless the status is 2xx.
 */
public final class Http {
    private static final int TIMEOUT_MS = 10_000;

    private Http() {}

    /** POSTs {@code body} as UTF-8; returns the response body. */
    public static byte[] post(String url, String contentType, String body, String... headers) throws IOException {
        return post(url, contentType, body.getBytes(StandardCharsets.UTF_8), headers);
    }

    public static byte[] post(String url, String contentType, byte[] body, String... headers) throws IOException {
        HttpURLConnection c = open(url);
        try {
            c.setRequestMethod("POST");
            c.setDoOutput(true);
            c.setFixedLengthStreamingMode(body.length);
            c.setRequestProperty("Content-Type", contentType);
            setHeaders(c, headers);
            try (OutputStream out = c.getOutputStream()) {
                out.write(body);
            }
            return finish(c);
        } finally {
            c.disconnect();
        }
    }

    public static byte[] get(String url, String... headers) throws IOException {
        HttpURLConnection c = open(url);
        try {
            setHeaders(c, headers);
            return finish(c);
        } finally {
            c.disconnect();
        }
    }

    private static HttpURLConnection open(String url) throws IOException {
        HttpURLConnection c = (HttpURLConnection) new URL(url).openConnection();
        c.setConnectTimeout(TIMEOUT_MS);
        c.setReadTimeout(TIMEOUT_MS);
        return c;
    }

    private static void setHeaders(HttpURLConnection c, String[] headers) {
        if (headers.length % 2 != 0) throw new IllegalArgumentException("headers come in name, value pairs");
        for (int i = 0; i < headers.length; i += 2) c.setRequestProperty(headers[i], headers[i + 1]);
    }

    private static byte[] finish(HttpURLConnection c) throws IOException {
        int code = c.getResponseCode();
        if (code < 200 || code > 299) throw new IOException("HTTP " + code);
        try (InputStream in = c.getInputStream()) {
            return in.readAllBytes();
        }
    }
}
