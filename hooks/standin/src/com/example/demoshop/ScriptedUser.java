package com.example.demoshop;

import android.view.View;
import android.view.ViewGroup;
import android.view.WindowManagerGlobal;
import android.widget.TextView;
import java.util.List;

/**
 * The scenario's user: finds a label on screen, as a UI automator would, and taps it.
 *
 * <p>How the user answers the privacy prompt is the user's choice, not the app's:
 * {@code -Dstandin.consent=accept|decline|none} (default accept) is read here and by the
 * launcher only, never by the app or its SDKs, which react to taps alone. {@link #labels}
 * lists the labels each answer taps, in order, so a UI-automation driver that taps the same
 * labels on a device plays the same path (hooks/standin/scenarios.py holds the same table).
 */
final class ScriptedUser {
    static final String CONSENT_PROPERTY = "standin.consent";

    /** The user's answer to the privacy prompt. */
    enum Answer {
        /** taps 同意 */
        ACCEPT("accept", "同意"),
        /** taps 不同意, then 退出 on the app's second prompt */
        DECLINE("decline", "不同意", "退出"),
        /** taps nothing: the dialog stays unanswered until the run ends */
        NONE("none");

        final String name;
        final String[] labels;

        Answer(String name, String... labels) {
            this.name = name;
            this.labels = labels;
        }
    }

    private ScriptedUser() {}

    /** The answer the run was started with; an unknown value ends the run (exit 2). */
    static Answer answer() {
        String value = System.getProperty(CONSENT_PROPERTY, "accept").trim();
        for (Answer a : Answer.values()) {
            if (a.name.equals(value)) return a;
        }
        Script.fail(Script.EXIT_SETUP, "-D" + CONSENT_PROPERTY + "=" + value + ": choose accept, decline or none");
        return Answer.ACCEPT;
    }

    /** The labels {@code answer} taps, in order. */
    static String[] labels(Answer answer) {
        return answer.labels.clone();
    }

    static boolean tap(String label) {
        View target = find(label);
        if (target == null) return false;
        target.performClick();
        return true;
    }

    /** The topmost window's view whose text is exactly {@code label}. */
    static View find(String label) {
        List<View> windows = WindowManagerGlobal.getInstance().getWindowViews();
        for (int i = windows.size() - 1; i >= 0; i--) {
            View v = find(windows.get(i), label);
            if (v != null) return v;
        }
        return null;
    }

    private static View find(View v, String label) {
        if (v instanceof TextView && label.contentEquals(((TextView) v).getText())) return v;
        if (v instanceof ViewGroup) {
            ViewGroup g = (ViewGroup) v;
            for (int i = 0; i < g.getChildCount(); i++) {
                View hit = find(g.getChildAt(i), label);
                if (hit != null) return hit;
            }
        }
        return null;
    }
}
