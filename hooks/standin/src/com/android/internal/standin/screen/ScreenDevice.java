package com.android.internal.standin.screen;

/**
 * The switches of the stand-in's device mode. {@code -Dstandin.user=device}: the person at the
 * screen answers (through the screen protocol) instead of the scripted user; the app's
 * dialogs and the system's permission prompts wait up to {@code -Dstandin.answer_wait_ms}
 * (default 6000) for a tap. Any other value, or none, keeps the scripted user.
 */
public final class ScreenDevice {
    public static final String USER_PROPERTY = "standin.user";
    public static final String WAIT_PROPERTY = "standin.answer_wait_ms";
    public static final long DEFAULT_WAIT_MS = 6000;

    private ScreenDevice() {}

    public static boolean userOnScreen() {
        return "device".equals(System.getProperty(USER_PROPERTY, "").trim());
    }

    /** How long a dialog or prompt waits for the person at the screen (ms). */
    public static long answerWaitMs() {
        String raw = System.getProperty(WAIT_PROPERTY);
        if (raw == null || raw.isBlank()) return DEFAULT_WAIT_MS;
        try {
            long v = Long.parseLong(raw.trim());
            if (v >= 0) return v;
        } catch (NumberFormatException e) {
            // reported below
        }
        System.err.println("standin: -D" + WAIT_PROPERTY + "=" + raw + ": not a number of milliseconds");
        System.exit(2);
        return DEFAULT_WAIT_MS;
    }

    /** The app's name as the system shows it in its prompts. */
    public static String appLabel() {
        return Screen.appLabel();
    }
}
