package com.example.demoshop;

import android.app.ActivityThread;
import android.app.Application;
import android.content.Context;
import android.telephony.TelephonyManager;
import com.android.internal.standin.DeviceValues;
import java.util.Locale;

/**
 * Per-call cost of a framework getter, for the hook-cost benchmark: run it with and without
 * the agent and compare. Usage: HookBench [calls=100000] [getImei|getDeviceId|getSimOperator].
 * getImei() delegates to getImei(int) as on Android, so a hooked run crosses two hooks per call;
 * getDeviceId() is a single method. Honours -Dstandin.gate like the launcher.
 */
public final class HookBench {
    private HookBench() {}

    public static void main(String[] args) {
        int calls = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        String method = args.length > 1 ? args[1] : "getImei";
        if (calls <= 0) throw new IllegalArgumentException("calls must be > 0");

        InstrumentationGate.awaitIfRequested();
        Application app = ActivityThread.systemMain().bindApplication("com.example.demoshop.bench", Application.class.getName());
        TelephonyManager tm = (TelephonyManager) app.getSystemService(Context.TELEPHONY_SERVICE);
        String expected;
        switch (method) {
            case "getImei":
            case "getDeviceId":
                expected = DeviceValues.get("imei");
                break;
            case "getSimOperator":
                expected = DeviceValues.get("sim_operator");
                break;
            default:
                throw new IllegalArgumentException("unknown method " + method + " (getImei, getDeviceId, getSimOperator)");
        }

        long sink = 0;
        long t0 = System.nanoTime();
        switch (method) {
            case "getImei":
                for (int i = 0; i < calls; i++) sink += tm.getImei().length();
                break;
            case "getDeviceId":
                for (int i = 0; i < calls; i++) sink += tm.getDeviceId().length();
                break;
            default:
                for (int i = 0; i < calls; i++) sink += tm.getSimOperator().length();
                break;
        }
        long elapsed = System.nanoTime() - t0;
        if (sink != (long) calls * expected.length()) {
            Scenario.fail(Scenario.EXIT_VALUE_MISMATCH, "HookBench: TelephonyManager." + method + "() returned values that differ from the device's");
        }
        System.out.println(String.format(Locale.ROOT, "HookBench method=%s calls=%d total_ns=%d ns_per_call=%.1f",
                method, calls, elapsed, elapsed / (double) calls));
        // Exit explicitly: an attached Frida agent's thread is a non-daemon Java thread, and
        // the JVM would wait for it forever after main returns.
        System.exit(0);
    }
}
