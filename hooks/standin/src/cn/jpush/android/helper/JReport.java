package cn.jpush.android.helper;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/** JPush's report channel: form POSTs and plain-HTTP heartbeats. */
public final class JReport {
    private static final int TIMEOUT_MS = 10_000;
    private static final String USER_AGENT = "JPush-Android/5.0.0";

    private JReport() {}

    public static String formEncode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    public static void postForm(String url, String form) throws IOException {
        byte[] body = form.getBytes(StandardCharsets.UTF_8);
        HttpURLConnection c = (HttpURLConnection) new URL(url).openConnection();
        try {
            c.setRequestMethod("POST");
            c.setDoOutput(true);
            c.setConnectTimeout(TIMEOUT_MS);
            c.setReadTimeout(TIMEOUT_MS);
            c.setFixedLengthStreamingMode(body.length);
            c.setRequestProperty("Content-Type", "application/x-www-form-urlencoded");
            c.setRequestProperty("User-Agent", USER_AGENT);
            try (OutputStream out = c.getOutputStream()) {
                out.write(body);
            }
            finish(c);
        } finally {
            c.disconnect();
        }
    }

    public static void get(String url) throws IOException {
        HttpURLConnection c = (HttpURLConnection) new URL(url).openConnection();
        try {
            c.setConnectTimeout(TIMEOUT_MS);
            c.setReadTimeout(TIMEOUT_MS);
            c.setRequestProperty("User-Agent", USER_AGENT);
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
}
