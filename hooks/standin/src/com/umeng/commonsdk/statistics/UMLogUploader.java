package com.umeng.commonsdk.statistics;

import com.example.demoshop.net.Http;
import java.io.IOException;

/** Umeng's log upload over HTTPS (through whatever proxy the JVM is configured with). */
public final class UMLogUploader {
    private UMLogUploader() {}

    public static void post(String url, byte[] json) throws IOException {
        Http.post(url, "application/json; charset=utf-8", json,
                "User-Agent", "UMSDK/" + com.umeng.commonsdk.UMConfigure.SDK_VERSION + " (Android 14)", "X-Umeng-Sdk", "9.6.8");
    }
}
