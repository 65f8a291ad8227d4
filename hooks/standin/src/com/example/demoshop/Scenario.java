package com.example.demoshop;

import java.util.List;

/**
 * The script of docs/standin-scenario.md, at least 150 ms between steps, so every step is
 * its own moment. The app and its embedded fake SDKs call it at each step; the work is
 * Script's, shared with the full tour. Its length depends on the user's answer to the
 * privacy prompt (ScriptedUser.answer): 14 steps when the user agrees, 16 when the user
 * declines, 10 when the prompt stays unanswered. With -Dstandin.user=device the answer is
 * not known at the start: it is the tap that reaches the dialog through the screen
 * (DeviceUser), and the length follows it ({@link #answered}).
 */
public final class Scenario {
    /** Pause before each step; the scenario promises at least 150 ms between steps. */
    public static final long STEP_GAP_MS = 200;
    /** The answer given so far (null in device mode until the dialog is answered or left). */
    private static volatile ScriptedUser.Answer sAnswer = DeviceUser.active() ? null : ScriptedUser.answer();

    public static final int EXIT_SETUP = Script.EXIT_SETUP;
    public static final int EXIT_VALUE_MISMATCH = Script.EXIT_VALUE_MISMATCH;
    public static final int EXIT_REQUEST_FAILED = Script.EXIT_REQUEST_FAILED;
    public static final int EXIT_SCRIPT = Script.EXIT_SCRIPT;

    private static final Script SCRIPT = new Script("scenario", totalSteps(sAnswer != null ? sAnswer : ScriptedUser.Answer.ACCEPT), STEP_GAP_MS);

    private Scenario() {}

    static int totalSteps(ScriptedUser.Answer answer) {
        switch (answer) {
            case DECLINE: return 16;
            case NONE: return 10;
            default: return 14;
        }
    }

    /** The user's answer to the privacy dialog (device mode: the one given on screen, accept until then). */
    static ScriptedUser.Answer answer() {
        ScriptedUser.Answer a = sAnswer;
        return a != null ? a : ScriptedUser.Answer.ACCEPT;
    }

    /** Device mode: the dialog was answered (or left) on screen; the scenario's length follows. */
    static void answered(ScriptedUser.Answer answer) {
        sAnswer = answer;
        SCRIPT.setTotalSteps(totalSteps(answer));
    }

    /** Device mode: the second prompt after 不同意 was left unanswered, so the run ends after step 13. */
    static void secondPromptUnanswered() {
        SCRIPT.setTotalSteps(13);
    }

    /** The step at which the push service reads the clipboard (its heartbeat is the next). */
    public static int pushStep() {
        switch (answer()) {
            case DECLINE: return 12;
            case NONE: return 9;
            default: return 13;
        }
    }

    public static boolean offline() {
        return Script.offline();
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

    public static void expect(String api, String key, String actual) {
        SCRIPT.expect(api, key, actual);
    }

    public static void expectLocation(String api, double lat, double lng) {
        SCRIPT.expectLocation(api, lat, lng);
    }

    public static void expectContainsAll(String api, String key, List<String> actual) {
        SCRIPT.expectContainsAll(api, key, actual);
    }

    public static void requestFailed(String what, Throwable cause) {
        SCRIPT.requestFailed(what, cause);
    }

    public static void fail(int exitCode, String message) {
        Script.fail(exitCode, message);
    }

    public static void note(String message) {
        Script.note(message);
    }

    public static void warn(String message) {
        Script.warn(message);
    }
}
