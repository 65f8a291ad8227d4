package com.example.demoshop;

import android.app.ActivityThread;
import android.os.Handler;
import android.view.View;
import android.widget.TextView;
import com.android.internal.standin.screen.Screen;
import com.android.internal.standin.screen.ScreenDevice;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The scenario's user in device mode ({@code -Dstandin.user=device}): a person (or a UI
 * automation driver) at the screen, reached through the screen protocol
 * ({@code -Dstandin.screen}). The scripted user taps nothing; the launcher waits on the app's
 * main thread, running its looper, for a tap that lands on one of a dialog's labels, up to
 * {@code -Dstandin.answer_wait_ms} (default 6000). The tap itself is the screen's: hit-tested
 * and delivered to the button by View.performClick on the main thread, so the app and the
 * hooks see what they see when the scripted user taps. Like ScriptedUser, this belongs to
 * the user's side: the app and its SDKs never read it.
 */
final class DeviceUser {
    static final Set<String> PRIVACY_LABELS = Set.of("同意", "不同意");
    /** On the second prompt only 退出 is part of the scenario (同意 there has no ground truth). */
    static final Set<String> SECOND_PROMPT_LABELS = Set.of("退出");

    private DeviceUser() {}

    static boolean active() {
        String user = System.getProperty(ScreenDevice.USER_PROPERTY, "script").trim();
        if (user.equals("device")) {
            ScreenDevice.answerWaitMs();  // a bad wait stops the run here (exit 2), not at the dialog
            return true;
        }
        if (user.equals("script") || user.isEmpty()) return false;
        Script.fail(Script.EXIT_SETUP, "-D" + ScreenDevice.USER_PROPERTY + "=" + user + ": choose script or device");
        return false;
    }

    /**
     * Runs the main looper until a tap on one of {@code labels} arrives (then {@code onTap}
     * runs, on the main thread, just before the button's performClick, and the app's work
     * that follows runs too) or the wait ends. Returns the label tapped, or null.
     */
    static String await(ActivityThread thread, Set<String> labels, Consumer<String> onTap) {
        final String[] tapped = {null};
        Handler handler = new Handler(thread.getLooper());
        Runnable deadline = () -> { };  // an empty message: the looper waits for it unless a tap comes first
        Screen.setTapObserver((View v) -> {
            if (tapped[0] != null || !(v instanceof TextView)) return;
            String label = String.valueOf(((TextView) v).getText());
            if (!labels.contains(label)) return;
            tapped[0] = label;
            handler.removeCallbacks(deadline);
            onTap.accept(label);
        });
        try {
            handler.postDelayed(deadline, ScreenDevice.answerWaitMs());
            Screen.holdInput(false);  // taps held until now reach the app, in order
            thread.runUntilIdle();
        } finally {
            Screen.setTapObserver(null);
        }
        return tapped[0];
    }
}
