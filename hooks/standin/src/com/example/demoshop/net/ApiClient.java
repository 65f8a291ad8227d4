package com.example.demoshop.net;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URL;

/** The app's HTTP client for its own server (the JVM's proxy settings apply). */
public final class ApiClient {
    private static final int TIMEOUT_MS = 10_000;

    private ApiClient() {}

    /** GETs {@code url}; returns the body, or throws when the status is not 2xx. */
    public static byte[] get(String url) throws IOException {
        HttpURLConnection c = (HttpURLConnection) new URL(url).openConnection();
        try {
            c.setConnectTimeout(TIMEOUT_MS);
            c.setReadTimeout(TIMEOUT_MS);
            c.setRequestProperty("User-Agent", "DemoShop/1.0.0 (Android 14)");
            c.setRequestProperty("Accept", "application/json");
            int code = c.getResponseCode();
            if (code < 200 || code > 299) throw new IOException("HTTP " + code);
            try (InputStream in = c.getInputStream()) {
                return in.readAllBytes();
            }
        } finally {
            c.disconnect();
        }
    }
}
