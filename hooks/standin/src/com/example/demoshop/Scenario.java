package com.example.demoshop;

import com.android.internal.standin.DeviceValues;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;

/**
 * The script of docs/standin-scenario.md: paces the steps (a fixed pause before each, so
 * every step is its own moment), prints "STEP n ..." lines, and checks that what the
 * framework returned is the device's value, so instrumentation that alters a value is caught.
 * The app and its embedded fake SDKs call it at each step.
 */
public final class Scenario {
    /** Pause before each step; the scenario promises at least 150 ms between steps. */
    public static final long STEP_GAP_MS = 200;
    public static final int TOTAL_STEPS = 14;

    public static final int EXIT_SETUP = 2;
    public static final int EXIT_VALUE_MISMATCH = 3;
    public static final int EXIT_REQUEST_FAILED = 4;
    public static final int EXIT_SCRIPT = 5;

    private static final PrintStream OUT = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
    private static final PrintStream ERR = new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);
    private static int lastStep;

    private Scenario() {}

    public static boolean offline() {
        return Boolean.getBoolean("standin.offline");
    }

    /** Starts step n (after the pause) and prints its line. */
    public static synchronized void step(int n, String description) {
        if (n != lastStep + 1) fail(EXIT_SCRIPT, "step " + n + " came after step " + lastStep + " (the scenario runs 1.." + TOTAL_STEPS + " in order)");
        pause();
        lastStep = n;
        OUT.println("STEP " + n + " " + description);
    }

    /** Starts network step n; false (and a "skipped (offline)" line) when sends are off. */
    public static boolean send(int n, String description) {
        if (offline()) {
            step(n, "skipped (offline)");
            return false;
        }
        step(n, description);
        return true;
    }

    public static synchronized void finish() {
        if (lastStep != TOTAL_STEPS) fail(EXIT_SCRIPT, "the scenario stopped after step " + lastStep + " of " + TOTAL_STEPS);
        OUT.println("DONE " + TOTAL_STEPS + " steps");
    }

    /** The framework returned {@code actual} for the device's {@code key}; exit if it is not the device's value. */
    public static void expect(String api, String key, String actual) {
        String expected = DeviceValues.get(key);
        if (!Objects.equals(expected, actual)) {
            fail(EXIT_VALUE_MISMATCH, "step " + lastStep + ": " + api + " returned " + quote(actual) + " but the device's " + key
                    + " is " + quote(expected) + " (" + DeviceValues.source() + "); something altered the value");
        }
    }

    public static void expectLocation(String api, double lat, double lng) {
        double eLat = DeviceValues.getDouble("location.lat");
        double eLng = DeviceValues.getDouble("location.lng");
        if (Double.compare(lat, eLat) != 0 || Double.compare(lng, eLng) != 0) {
            fail(EXIT_VALUE_MISMATCH, "step " + lastStep + ": " + api + " returned " + lat + "," + lng + " but the device is at " + eLat + "," + eLng
                    + " (" + DeviceValues.source() + "); something altered the value");
        }
    }

    public static void expectContainsAll(String api, String key, List<String> actual) {
        for (String want : DeviceValues.getList(key)) {
            if (actual == null || !actual.contains(want)) {
                fail(EXIT_VALUE_MISMATCH, "step " + lastStep + ": " + api + " did not list " + want + ", one of the device's " + key
                        + " (" + DeviceValues.source() + "); something altered the value");
            }
        }
    }

    public static void requestFailed(String what, Throwable cause) {
        fail(EXIT_REQUEST_FAILED, "step " + lastStep + ": " + what + " failed: " + cause);
    }

    public static void fail(int exitCode, String message) {
        ERR.println("standin: " + message);
        OUT.flush();
        System.exit(exitCode);
    }

    public static void note(String message) {
        ERR.println("standin: " + message);
    }

    public static void warn(String message) {
        ERR.println("standin: warning: " + message);
    }

    private static String quote(String s) {
        return s == null ? "null" : "'" + s + "'";
    }

    private static void pause() {
        try {
            Thread.sleep(STEP_GAP_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
