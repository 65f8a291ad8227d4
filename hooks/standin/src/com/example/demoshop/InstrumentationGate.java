package com.example.demoshop;

/**
 * Optional start gate for instrumentation that attaches after the JVM started. With
 * -Dstandin.gate=<seconds> the app waits before step 1 until {@link #ready} is true (the
 * Frida agent sets it once its hooks are in) or the timeout passes. Without the property
 * there is no wait. On entering the wait it prints "standin: instrumentation gate: waiting
 * up to N s" to stderr.
 */
public final class InstrumentationGate {
    public static volatile boolean ready = false;

    private InstrumentationGate() {}

    public static void awaitIfRequested() {
        String raw = System.getProperty("standin.gate");
        if (raw == null || raw.isBlank()) return;
        double seconds;
        try {
            seconds = Double.parseDouble(raw.trim());
        } catch (NumberFormatException e) {
            Scenario.fail(Scenario.EXIT_SETUP, "-Dstandin.gate=" + raw + " is not a number of seconds");
            return;
        }
        // Tells a runner that attaches (rather than spawns) that the JVM is up and waiting.
        Scenario.note("instrumentation gate: waiting up to " + raw.trim() + " s");
        long deadline = System.nanoTime() + (long) (seconds * 1e9);
        while (!ready && System.nanoTime() < deadline) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (!ready) Scenario.warn("instrumentation gate: not opened within " + raw.trim() + " s; continuing without confirmed hooks");
    }
}
