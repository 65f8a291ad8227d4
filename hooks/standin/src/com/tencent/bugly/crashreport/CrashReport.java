package com.tencent.bugly.crashreport;

import android.content.Context;
import android.os.Build;
import com.example.demoshop.tour.Tour;

/** Tencent Bugly's entry point: at init it reads the device serial for its device record (tour step 1). */
public final class CrashReport {
    private static String sDeviceSerial;

    private CrashReport() {}

    public static void initCrashReport(Context context, String appId, boolean isDebug) {
        Tour.step(1, "Bugly CrashReport.initCrashReport reads the serial (Build.getSerial)");
        sDeviceSerial = Tour.expect("Build.getSerial()", "serial", Build.getSerial());
    }

    public static String deviceSerial() {
        return sDeviceSerial;
    }
}
