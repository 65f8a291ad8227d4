package com.example.demoshop.tour;

import com.android.internal.standin.DeviceValues;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * The script of docs/standin-fulltour.md: paces the steps (a fixed pause before each),
 * prints "STEP n ..." lines, keeps them in order and checks framework values against the
 * device's. Exit codes are the demo launcher's: 2 setup, 3 value mismatch, 4 request
 * failed, 5 script broke.
 */
public final class Tour {
    /** Pause before each step; the tour promises at least 100 ms between steps. */
    public static final long STEP_GAP_MS = 120;
    public static final int TOTAL_STEPS = 51;
    /** The steps the :push process plays (its own JVM). */
    public static final int FIRST_PUSH_STEP = 49;
    public static final int LAST_PUSH_STEP = 50;

    public static final int EXIT_SETUP = 2;
    public static final int EXIT_VALUE_MISMATCH = 3;
    public static final int EXIT_REQUEST_FAILED = 4;
    public static final int EXIT_SCRIPT = 5;

    private static final PrintStream OUT = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
    private static final PrintStream ERR = new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);
    private static int lastStep;

    private Tour() {}

    public static boolean offline() {
        return Boolean.getBoolean("standin.offline");
    }

    /** Steps before {@code n} were played elsewhere (the :push process starts at its first step). */
    public static synchronized void resumeAfter(int n) {
        lastStep = n;
    }

    public static synchronized int lastStep() {
        return lastStep;
    }

    public static synchronized void step(int n, String description) {
        if (n != lastStep + 1) fail(EXIT_SCRIPT, "step " + n + " came after step " + lastStep + " (the tour runs 1.." + TOTAL_STEPS + " in order)");
        try {
            Thread.sleep(STEP_GAP_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
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
        if (lastStep != TOTAL_STEPS) fail(EXIT_SCRIPT, "the tour stopped after step " + lastStep + " of " + TOTAL_STEPS);
        OUT.println("DONE " + TOTAL_STEPS + " steps");
    }

    public static String expect(String api, String key, String actual) {
        String expected = DeviceValues.get(key);
        if (!Objects.equals(expected, actual)) {
            fail(EXIT_VALUE_MISMATCH, "step " + lastStep + ": " + api + " returned " + quote(actual) + " but the device's " + key
                    + " is " + quote(expected) + " (" + DeviceValues.source() + "); something altered the value");
        }
        return actual;
    }

    public static void expectLocation(String api, double lat, double lng) {
        double eLat = DeviceValues.getDouble("location.lat");
        double eLng = DeviceValues.getDouble("location.lng");
        if (Double.compare(lat, eLat) != 0 || Double.compare(lng, eLng) != 0) {
            fail(EXIT_VALUE_MISMATCH, "step " + lastStep + ": " + api + " returned " + lat + "," + lng + " but the device is at " + eLat + "," + eLng);
        }
    }

    public static void check(boolean ok, String what) {
        if (!ok) fail(EXIT_SCRIPT, "step " + lastStep + ": " + what);
    }

    public static void requestFailed(String what, Throwable cause) {
        fail(EXIT_REQUEST_FAILED, "step " + lastStep + ": " + what + " failed: " + cause);
    }

    public static void fail(int exitCode, String message) {
        ERR.println("standin: " + message);
        OUT.flush();
        System.exit(exitCode);
    }

    private static String quote(String s) {
        return s == null ? "null" : "'" + s + "'";
    }
}
