package com.example.demoshop.tour;

import com.example.demoshop.Script;
import java.util.List;

/**
 * The script of docs/standin-fulltour.md: 68 steps, at least 100 ms apart, in order, with
 * framework values checked against the device's. Exit codes are the demo launcher's: 2
 * setup, 3 value mismatch, 4 request failed, 5 script broke. The work is Script's, shared
 * with the demo scenario.
 */
public final class Tour {
    /** Pause before each step; the tour promises at least 100 ms between steps. */
    public static final long STEP_GAP_MS = 120;
    public static final int TOTAL_STEPS = 68;
    /** The steps the :push process plays (its own JVM). */
    public static final int FIRST_PUSH_STEP = 49;
    public static final int LAST_PUSH_STEP = 50;

    public static final int EXIT_SETUP = Script.EXIT_SETUP;
    public static final int EXIT_VALUE_MISMATCH = Script.EXIT_VALUE_MISMATCH;
    public static final int EXIT_REQUEST_FAILED = Script.EXIT_REQUEST_FAILED;
    public static final int EXIT_SCRIPT = Script.EXIT_SCRIPT;

    private static final Script SCRIPT = new Script("tour", TOTAL_STEPS, STEP_GAP_MS);

    private Tour() {}

    public static boolean offline() {
        return Script.offline();
    }

    /** Steps before {@code n} were played elsewhere (the :push process starts at its first step). */
    public static void resumeAfter(int n) {
        SCRIPT.resumeAfter(n);
    }

    public static int lastStep() {
        return SCRIPT.lastStep();
    }

    public static void step(int n, String description) {
        SCRIPT.step(n, description);
    }

    public static boolean send(int n, String description) {
        return SCRIPT.send(n, description);
    }

    public static void finish() {
        SCRIPT.finish();
    }

    public static String expect(String api, String key, String actual) {
        return SCRIPT.expect(api, key, actual);
    }

    public static void expectLocation(String api, double lat, double lng) {
        SCRIPT.expectLocation(api, lat, lng);
    }

    public static void expectContainsAll(String api, String key, List<String> actual) {
        SCRIPT.expectContainsAll(api, key, actual);
    }

    public static void check(boolean ok, String what) {
        SCRIPT.check(ok, what);
    }

    public static void requestFailed(String what, Throwable cause) {
        SCRIPT.requestFailed(what, cause);
    }

    public static void fail(int exitCode, String message) {
        Script.fail(exitCode, message);
    }
}
