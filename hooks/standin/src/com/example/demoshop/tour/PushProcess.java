package com.example.demoshop.tour;

import android.app.ActivityThread;
import android.content.Intent;
import cn.jpush.android.service.JCommonService;
import com.android.internal.standin.DeviceValues;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The app's second process, "com.example.demoshop:push". The parent starts it as a child
 * JVM with its own JVM flags (proxy, truststore, hosts file, device values) plus
 * -Dpiiaudit.process=com.example.demoshop:push, and waits for it; there JPush's service
 * plays steps 49-50.
 */
public final class PushProcess {
    public static final String PROCESS_NAME = TourApplication.PACKAGE_NAME + TourApplication.PUSH_PROCESS_SUFFIX;
    static final long WAIT_S = 60;

    private PushProcess() {}

    /** Parent side: start the :push process, wait for it, and fail the tour with its exit code if it failed. */
    public static void startAndWait() {
        List<String> argv = new ArrayList<>();
        argv.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            // The child gets the parent's JVM flags, but its own process name and no start gate.
            if (arg.startsWith("-Dpiiaudit.process=") || arg.startsWith("-Dstandin.gate=")) continue;
            argv.add(arg);
        }
        argv.add("-Dpiiaudit.process=" + PROCESS_NAME);
        argv.add("-cp");
        argv.add(System.getProperty("java.class.path"));
        argv.add(PushProcess.class.getName());
        int status;
        try {
            Process child = new ProcessBuilder(argv).inheritIO().start();
            if (!child.waitFor(WAIT_S, TimeUnit.SECONDS)) {
                child.destroyForcibly();
                Tour.fail(Tour.EXIT_SCRIPT, "step 48: the " + PROCESS_NAME + " process did not finish within " + WAIT_S + " s");
                return;
            }
            status = child.exitValue();
        } catch (Exception e) {
            Tour.fail(Tour.EXIT_SCRIPT, "step 48: could not start the " + PROCESS_NAME + " process: " + e);
            return;
        }
        if (status != 0) Tour.fail(status, "the " + PROCESS_NAME + " process exited with status " + status);
        Tour.resumeAfter(Tour.LAST_PUSH_STEP);
    }

    /** Child side: bind the app in this process and let the system start JPush's service. */
    public static void main(String[] args) {
        try {
            DeviceValues.get("android_id");
        } catch (IllegalStateException e) {
            Tour.fail(Tour.EXIT_SETUP, e.getMessage());
        }
        Tour.resumeAfter(Tour.FIRST_PUSH_STEP - 1);
        ActivityThread thread = ActivityThread.systemMain();
        thread.bindApplication(TourApplication.PACKAGE_NAME, TourApplication.class.getName());
        Intent start = new Intent("cn.jpush.android.intent.DaemonService").setClassName(TourApplication.PACKAGE_NAME, JCommonService.class.getName());
        thread.startService(JCommonService.class.getName(), start);
        thread.runUntilIdle();
        if (Tour.lastStep() != Tour.LAST_PUSH_STEP) Tour.fail(Tour.EXIT_SCRIPT, "the push process stopped after step " + Tour.lastStep());
        System.exit(0);
    }
}
