package com.example.demoshop.net;

import java.io.IOException;

/** The app's HTTP client for its own server. */
public final class ApiClient {
    private ApiClient() {}

    /** GETs {@code url}; returns the body, or throws when the status is not 2xx. */
    public static byte[] get(String url) throws IOException {
        return Http.get(url, "User-Agent", "DemoShop/1.0.0 (Android 14)", "Accept", "application/json");
    }
}
