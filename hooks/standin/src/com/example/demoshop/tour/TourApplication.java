package com.example.demoshop.tour;

import android.app.ActivityThread;
import android.app.Application;
import com.igexin.sdk.PushManager;
import com.tencent.bugly.crashreport.CrashReport;
import com.tencent.mmkv.MMKV;
import com.umeng.commonsdk.internal.UMInternalData;

/**
 * The app's Application in the full tour. In the main process it starts Bugly, Getui and
 * Umeng before anything is shown (steps 1-9, all before consent); in the ":push" process it
 * starts nothing (JPush's service runs there on its own).
 */
public class TourApplication extends Application {
    public static final String PACKAGE_NAME = "com.example.demoshop";
    public static final String PUSH_PROCESS_SUFFIX = ":push";

    public TourApplication() {}

    @Override
    public void onCreate() {
        super.onCreate();
        MMKV.initialize(this);
        String process = ActivityThread.currentProcessName();
        if (process != null && process.endsWith(PUSH_PROCESS_SUFFIX)) return;
        CrashReport.initCrashReport(this, "a1b2c3d4e5", false);
        PushManager.getInstance().initialize(this);
        UMInternalData.collectAtInit(this);
    }
}
