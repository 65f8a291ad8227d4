package com.android.internal.os;

import android.os.Process;
import android.util.Log;

/**
 * The part of AOSP's RuntimeInit an app process starts with: commonInit() installs
 * KillApplicationHandler as the default uncaught-exception handler. As on a device, a thread
 * dying of an exception logs "FATAL EXCEPTION" and the handler kills its own process with
 * SIGKILL (Process.killProcess(myPid())) inside Thread.dispatchUncaughtException, so nothing
 * after that call runs.
 */
public class RuntimeInit {
    private RuntimeInit() {}

    public static final void commonInit() {
        Thread.setDefaultUncaughtExceptionHandler(new KillApplicationHandler());
    }

    private static class KillApplicationHandler implements Thread.UncaughtExceptionHandler {
        @Override
        public void uncaughtException(Thread t, Throwable e) {
            try {
                Log.e("AndroidRuntime", "FATAL EXCEPTION: " + t.getName() + "\n" + Log.getStackTraceString(e));
            } finally {
                Process.killProcess(Process.myPid());
                System.exit(10);
            }
        }
    }
}
