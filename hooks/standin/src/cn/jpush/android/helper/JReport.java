package cn.jpush.android.helper;

import com.example.demoshop.net.Http;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/** JPush's report channel: form POSTs and plain-HTTP heartbeats. */
public final class JReport {
    private static final String USER_AGENT = "JPush-Android/5.0.0";

    private JReport() {}

    public static String formEncode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    public static void postForm(String url, String form) throws IOException {
        Http.post(url, "application/x-www-form-urlencoded", form, "User-Agent", USER_AGENT);
    }

    public static void get(String url) throws IOException {
        Http.get(url, "User-Agent", USER_AGENT);
    }
}
