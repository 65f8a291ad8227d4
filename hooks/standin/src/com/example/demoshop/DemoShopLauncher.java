package com.example.demoshop;

import android.app.ActivityThread;
import android.content.Intent;
import cn.jpush.android.service.PushService;
import com.android.internal.standin.DeviceValues;

/**
 * Plays docs/standin-scenario.md on the stand-in framework: the process starts and the
 * Application initialises the SDKs (steps 1-6), MainActivity shows the privacy dialog (7),
 * the scripted user taps 同意 (8), the app stores consent, gets the location permission and
 * loads nearby stores (9-12), then the system starts JPush's service (13-14).
 *
 * Flags: -Dstandin.device=<properties> (device values), -Dstandin.offline=true (no sends),
 * -Dstandin.gate=<seconds> (wait for instrumentation before step 1).
 * Exit status: 0 done; 2 setup; 3 a framework value differed from the device's; 4 a request failed; 5 script.
 */
public final class DemoShopLauncher {
    static final String PACKAGE_NAME = "com.example.demoshop";
    static final String PUSH_ACTION = "cn.jpush.android.intent.RECEIVE_MESSAGE";

    private DemoShopLauncher() {}

    public static void main(String[] args) {
        try {
            DeviceValues.get("imei");
        } catch (IllegalStateException e) {
            Scenario.fail(Scenario.EXIT_SETUP, e.getMessage());
        }
        try {
            InstrumentationGate.awaitIfRequested();
            ActivityThread thread = ActivityThread.systemMain();
            thread.bindApplication(PACKAGE_NAME, DemoShopApplication.class.getName());
            thread.launchActivity(MainActivity.class.getName());
            thread.runUntilIdle();

            Scenario.step(8, "user taps 同意 (View.performClick)");
            if (!ScriptedUser.tap("同意")) Scenario.fail(Scenario.EXIT_SCRIPT, "step 8: no 同意 button on screen");
            thread.runUntilIdle();

            // A push arrives: the system starts the push SDK's service in the app process.
            Intent push = new Intent(PUSH_ACTION).setClassName(PACKAGE_NAME, PushService.class.getName());
            thread.startService(PushService.class.getName(), push);
            thread.runUntilIdle();

            Scenario.finish();
        } catch (Throwable t) {
            t.printStackTrace();
            Scenario.fail(1, "crashed: " + t);
        }
        System.exit(0);
    }
}
