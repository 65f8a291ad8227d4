package com.android.internal.standin.screen;

import android.app.Dialog;
import android.content.res.Resources;
import android.view.View;
import android.view.ViewGroup;
import android.widget.Button;
import android.widget.CompoundButton;
import android.widget.LinearLayout;
import android.widget.TextView;
import com.android.internal.app.AlertController;
import java.util.ArrayList;
import java.util.List;

/**
 * A simple layout of the stand-in's windows on a 1080 x 2400 portrait screen, enough for
 * UI automation to find and tap what a user would: an activity fills the screen, a dialog is
 * a 936 px wide panel centred on it, a popup takes the size it was shown with. Inside, a
 * vertical LinearLayout stacks its children, a horizontal one shares its width equally, other
 * groups overlay theirs. Text wraps by character at a fixed advance (a CJK character is one em,
 * other characters 0.55 em), so the layout needs no font; the renderer draws the same lines.
 * Each view's bounds are stored on the view itself (View.layout) as well as on its node.
 */
final class ScreenLayout {
    static final int WIDTH = 1080;
    static final int HEIGHT = 2400;
    static final int DIALOG_MARGIN = 72;
    static final int TEXT_PAD_H = 66;
    static final int TEXT_PAD_V = 27;
    static final int BUTTON_HEIGHT = 144;
    static final int CHECKBOX_HEIGHT = 120;
    static final int CHECKBOX_BOX = 66;
    static final int OTHER_HEIGHT = 120;
    static final float TITLE_SIZE = 57f;
    static final float TEXT_SIZE = 45f;
    static final float BUTTON_SIZE = 45f;
    static final float LINE_SPACING = 1.45f;

    private static final Resources RESOURCES = new Resources();

    private ScreenLayout() {}

    /** The node tree of a window's root view, not yet placed. Views that are not VISIBLE are left out. */
    static Node build(View v, String pkg) {
        Node.Role role = roleOf(v);
        Node n = new Node(role);
        n.view = v;
        n.pkg = pkg;
        n.cls = uiClass(v.getClass());
        if (v instanceof TextView) {
            CharSequence t = ((TextView) v).getText();
            n.text = t == null ? "" : t.toString();
        }
        CharSequence desc = v.getContentDescription();
        n.contentDesc = desc == null ? "" : desc.toString();
        n.resourceId = resourceName(v.getId());
        n.clickable = v.isClickable();
        n.enabled = v.isEnabled();
        n.longClickable = v.isLongClickable();
        n.focusable = v instanceof Button;
        if (v instanceof CompoundButton) {
            n.checkable = true;
            n.checked = ((CompoundButton) v).isChecked();
        }
        n.textSize = role == Node.Role.TITLE ? TITLE_SIZE : role == Node.Role.BUTTON ? BUTTON_SIZE : TEXT_SIZE;
        if (v instanceof ViewGroup) {
            ViewGroup g = (ViewGroup) v;
            for (int i = 0; i < g.getChildCount(); i++) {
                View c = g.getChildAt(i);
                if (c != null && c.getVisibility() == View.VISIBLE) n.add(build(c, pkg));
            }
        }
        return n;
    }

    private static Node.Role roleOf(View v) {
        if (v instanceof CompoundButton) return Node.Role.CHECKBOX;
        if (v instanceof Button) return Node.Role.BUTTON;
        if (v instanceof TextView) return v.getId() == AlertController.ID_TITLE ? Node.Role.TITLE : Node.Role.TEXT;
        if (v instanceof ViewGroup) return Node.Role.FRAME;
        return Node.Role.OTHER;
    }

    /** The class uiautomator reports: the nearest public framework class (DecorView -> FrameLayout). */
    static String uiClass(Class<?> c) {
        for (Class<?> k = c; k != null; k = k.getSuperclass()) {
            String name = k.getName();
            if ((name.startsWith("android.") || name.startsWith("androidx.")) && !name.contains("$")) return name;
        }
        return "android.view.View";
    }

    static String resourceName(int id) {
        if (id == View.NO_ID) return "";
        try {
            return RESOURCES.getResourceName(id);
        } catch (RuntimeException e) {
            return "";
        }
    }

    /** Lays out a window's tree: a dialog centred, a popup of its size, anything else full screen. */
    static void layoutWindow(Node root, Object owner, ViewGroup.LayoutParams params) {
        if (owner instanceof Dialog) {
            int w = WIDTH - 2 * DIALOG_MARGIN;
            int h = Math.min(measure(root, w), HEIGHT - 2 * DIALOG_MARGIN);
            int top = (HEIGHT - h) / 2;
            place(root, DIALOG_MARGIN, top, w, h);
            root.role = Node.Role.PANEL;
        } else if (params != null && params.width > 0) {
            int w = Math.min(params.width, WIDTH);
            int h = params.height > 0 ? Math.min(params.height, HEIGHT) : measure(root, w);
            place(root, (WIDTH - w) / 2, (HEIGHT - h) / 2, w, h);
            root.role = Node.Role.PANEL;
        } else {
            measure(root, WIDTH);
            place(root, 0, 0, WIDTH, HEIGHT);
        }
    }

    /** The height `n` needs at width `w` (and, for text, its wrapped lines). */
    static int measure(Node n, int w) {
        switch (n.role) {
            case TITLE:
            case TEXT:
                n.lines = wrap(n.text.isEmpty() ? n.contentDesc : n.text, w - 2 * TEXT_PAD_H, n.textSize);
                return lineHeight(n.textSize) * Math.max(1, n.lines.size()) + 2 * TEXT_PAD_V + (n.role == Node.Role.TITLE ? TEXT_PAD_V : 0);
            case BUTTON:
                n.lines = wrap(n.text, w - 24, n.textSize);
                return Math.max(BUTTON_HEIGHT, lineHeight(n.textSize) * n.lines.size() + 2 * TEXT_PAD_V);
            case CHECKBOX:
                n.lines = wrap(n.text, w - 2 * TEXT_PAD_H - CHECKBOX_BOX - 24, n.textSize);
                return Math.max(CHECKBOX_HEIGHT, lineHeight(n.textSize) * n.lines.size() + 2 * TEXT_PAD_V);
            default:
                break;
        }
        if (n.children.isEmpty()) return n.view instanceof ViewGroup ? 0 : OTHER_HEIGHT;
        if (isHorizontal(n)) {
            int each = w / n.children.size();
            int h = 0;
            for (Node c : n.children) h = Math.max(h, measure(c, each));
            return h;
        }
        int sum = 0;
        int max = 0;
        for (Node c : n.children) {
            int h = measure(c, w);
            sum += h;
            max = Math.max(max, h);
        }
        return isVertical(n) ? sum : max;
    }

    /** Places `n` at (l, t) with size w x h, and its children inside it. */
    static void place(Node n, int l, int t, int w, int h) {
        n.setBounds(l, t, l + w, t + h);
        if (n.view != null) n.view.layout(l, t, l + w, t + h);
        if (n.children.isEmpty()) return;
        if (isHorizontal(n)) {
            int each = w / n.children.size();
            for (int i = 0; i < n.children.size(); i++) {
                Node c = n.children.get(i);
                int cw = i == n.children.size() - 1 ? w - each * i : each;
                place(c, l + each * i, t, cw, Math.min(h, measure(c, cw)));
            }
        } else if (isVertical(n)) {
            int y = t;
            for (Node c : n.children) {
                int ch = Math.min(measure(c, w), t + h - y);
                place(c, l, y, w, Math.max(0, ch));
                y += Math.max(0, ch);
            }
        } else {
            for (Node c : n.children) {
                boolean fill = c.view instanceof ViewGroup;
                place(c, l, t, w, fill ? h : Math.min(h, measure(c, w)));
            }
        }
    }

    private static boolean isHorizontal(Node n) {
        return n.view instanceof LinearLayout && ((LinearLayout) n.view).getOrientation() == LinearLayout.HORIZONTAL;
    }

    private static boolean isVertical(Node n) {
        return n.view instanceof LinearLayout && ((LinearLayout) n.view).getOrientation() == LinearLayout.VERTICAL;
    }

    static int lineHeight(float size) {
        return Math.round(size * LINE_SPACING);
    }

    /** One em for CJK and full-width characters, 0.55 em for the rest. */
    static float advance(int cp, float size) {
        boolean wide = (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) || (cp >= 0xAC00 && cp <= 0xD7A3)
                || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60)
                || (cp >= 0xFFE0 && cp <= 0xFFE6) || cp == 0x201C || cp == 0x201D;
        return wide ? size : size * 0.55f;
    }

    /** Breaks `text` into lines no wider than `width` (explicit newlines kept). */
    static List<String> wrap(String text, int width, float size) {
        List<String> out = new ArrayList<>();
        if (text == null || text.isEmpty()) return out;
        for (String para : text.split("\n", -1)) {
            StringBuilder line = new StringBuilder();
            float x = 0;
            for (int i = 0; i < para.length(); ) {
                int cp = para.codePointAt(i);
                float a = advance(cp, size);
                if (x + a > width && line.length() > 0) {
                    // Latin words move whole to the next line; CJK text breaks between any two characters.
                    int space = line.lastIndexOf(" ");
                    boolean inWord = cp != ' ' && advance(cp, size) < size && line.charAt(line.length() - 1) != ' ';
                    String rest = "";
                    if (inWord && space > 0) {
                        rest = line.substring(space + 1);
                        line.setLength(space);
                    }
                    out.add(line.toString());
                    line.setLength(0);
                    line.append(rest);
                    x = 0;
                    for (int k = 0; k < rest.length(); k++) x += advance(rest.charAt(k), size);
                }
                line.appendCodePoint(cp);
                x += a;
                i += Character.charCount(cp);
            }
            out.add(line.toString());
        }
        return out;
    }
}
