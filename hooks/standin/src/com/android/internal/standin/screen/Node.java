package com.android.internal.standin.screen;

import android.view.View;
import java.util.ArrayList;
import java.util.List;

/**
 * One element of a window as the screen shows it: what uiautomator dumps (class, text,
 * resource-id, flags, bounds), what the renderer draws (the wrapped lines, the role) and what
 * a tap on it does (the app's view to click, or a system window's action).
 */
final class Node {
    enum Role { FRAME, PANEL, TITLE, TEXT, BUTTON, CHECKBOX, ICON, OTHER }

    String cls = "android.view.View";
    String text = "";
    String resourceId = "";
    String pkg = "";
    String contentDesc = "";
    boolean checkable;
    boolean checked;
    boolean clickable;
    boolean enabled = true;
    boolean focusable;
    boolean scrollable;
    boolean longClickable;
    int left, top, right, bottom;
    Role role = Role.OTHER;
    float textSize = 45f;
    List<String> lines = new ArrayList<>();
    final List<Node> children = new ArrayList<>();
    /** The app's view behind this node (null for a system window's node). */
    View view;
    /** What a tap does on a system window's node (null for the app's views). */
    Runnable action;

    Node(Role role) {
        this.role = role;
    }

    Node add(Node child) {
        children.add(child);
        return child;
    }

    boolean contains(int x, int y) {
        return x >= left && x < right && y >= top && y < bottom;
    }

    void setBounds(int l, int t, int r, int b) {
        left = l;
        top = t;
        right = r;
        bottom = b;
    }

    int width() {
        return right - left;
    }

    int height() {
        return bottom - top;
    }

    /** "<class> <text>" as the protocol reports a hit. */
    String describe() {
        String label = !text.isEmpty() ? text : contentDesc;
        return label.isEmpty() ? cls : cls + " " + label;
    }
}
