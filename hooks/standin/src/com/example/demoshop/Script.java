package com.example.demoshop;

import com.android.internal.standin.DeviceValues;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;

/**
 * What the demo scenario (Scenario) and the full tour (tour.Tour) share: steps paced by a
 * fixed pause and kept in order, "STEP n ..." lines, checks that what the framework returned
 * is the device's value (so instrumentation that alters a value is caught), and the exit
 * codes. Each script's facade holds one instance with its name, length and pace.
 */
public final class Script {
    public static final int EXIT_SETUP = 2;
    public static final int EXIT_VALUE_MISMATCH = 3;
    public static final int EXIT_REQUEST_FAILED = 4;
    public static final int EXIT_SCRIPT = 5;

    private static final PrintStream OUT = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
    private static final PrintStream ERR = new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);

    private final String mName;
    private int mTotalSteps;
    private final long mStepGapMs;
    private int mLastStep;

    /** {@code name} is how failure messages call the script ("scenario", "tour"). */
    public Script(String name, int totalSteps, long stepGapMs) {
        mName = name;
        mTotalSteps = totalSteps;
        mStepGapMs = stepGapMs;
    }

    public static boolean offline() {
        return Boolean.getBoolean("standin.offline");
    }

    /** The script's length once the user's answer decides it (the demo's device mode). */
    public synchronized void setTotalSteps(int totalSteps) {
        mTotalSteps = totalSteps;
    }

    /** Steps up to {@code n} were played elsewhere (another process of the app). */
    public synchronized void resumeAfter(int n) {
        mLastStep = n;
    }

    public synchronized int lastStep() {
        return mLastStep;
    }

    /** Starts step n (after the pause) and prints its line. */
    public synchronized void step(int n, String description) {
        if (n != mLastStep + 1) fail(EXIT_SCRIPT, "step " + n + " came after step " + mLastStep + " (the " + mName + " runs 1.." + mTotalSteps + " in order)");
        try {
            Thread.sleep(mStepGapMs);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        mLastStep = n;
        OUT.println("STEP " + n + " " + description);
    }

    /** Starts network step n; false (and a "skipped (offline)" line) when sends are off. */
    public boolean send(int n, String description) {
        if (offline()) {
            step(n, "skipped (offline)");
            return false;
        }
        step(n, description);
        return true;
    }

    public synchronized void finish() {
        if (mLastStep != mTotalSteps) fail(EXIT_SCRIPT, "the " + mName + " stopped after step " + mLastStep + " of " + mTotalSteps);
        OUT.println("DONE " + mTotalSteps + " steps");
    }

    /** The framework returned {@code actual} for the device's {@code key}; exit if it is not the device's value. */
    public String expect(String api, String key, String actual) {
        String expected = DeviceValues.get(key);
        if (!Objects.equals(expected, actual)) {
            fail(EXIT_VALUE_MISMATCH, "step " + lastStep() + ": " + api + " returned " + quote(actual) + " but the device's " + key
                    + " is " + quote(expected) + " (" + DeviceValues.source() + "); something altered the value");
        }
        return actual;
    }

    public void expectLocation(String api, double lat, double lng) {
        double eLat = DeviceValues.getDouble("location.lat");
        double eLng = DeviceValues.getDouble("location.lng");
        if (Double.compare(lat, eLat) != 0 || Double.compare(lng, eLng) != 0) {
            fail(EXIT_VALUE_MISMATCH, "step " + lastStep() + ": " + api + " returned " + lat + "," + lng + " but the device is at " + eLat + "," + eLng
                    + " (" + DeviceValues.source() + "); something altered the value");
        }
    }

    public void expectContainsAll(String api, String key, List<String> actual) {
        for (String want : DeviceValues.getList(key)) {
            if (actual == null || !actual.contains(want)) {
                fail(EXIT_VALUE_MISMATCH, "step " + lastStep() + ": " + api + " did not list " + want + ", one of the device's " + key
                        + " (" + DeviceValues.source() + "); something altered the value");
            }
        }
    }

    public void check(boolean ok, String what) {
        if (!ok) fail(EXIT_SCRIPT, "step " + lastStep() + ": " + what);
    }

    public void requestFailed(String what, Throwable cause) {
        fail(EXIT_REQUEST_FAILED, "step " + lastStep() + ": " + what + " failed: " + cause);
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
}
