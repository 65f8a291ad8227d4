package com.example.demoshop;

import android.view.View;
import android.view.ViewGroup;
import android.view.WindowManagerGlobal;
import android.widget.TextView;
import java.util.List;

/** The scenario's user: finds a label on screen, as a UI automator would, and taps it. */
final class ScriptedUser {
    private ScriptedUser() {}

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
