package android.os;

public final class SystemClock {
    private static final long BOOT_NANOS = java.lang.System.nanoTime();

    private SystemClock() {}

    public static long uptimeMillis() {
        return (java.lang.System.nanoTime() - BOOT_NANOS) / 1_000_000L;
    }

    public static long elapsedRealtime() {
        return uptimeMillis();
    }

    public static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
