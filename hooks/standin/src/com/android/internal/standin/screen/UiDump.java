package com.android.internal.standin.screen;

import java.util.List;

/**
 * The topmost window as `uiautomator dump` writes it: one &lt;node&gt; per element with
 * uiautomator's attributes in uiautomator's order, bounds as "[left,top][right,bottom]".
 */
final class UiDump {
    static final String HEADER = "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>";

    private UiDump() {}

    /** The XML of the current screen; null when no window is shown (uiautomator: null root node). */
    static String dump() {
        List<Screen.Win> windows = Screen.windows();
        Screen.Win top = Screen.top(windows);
        if (top == null) return null;
        StringBuilder sb = new StringBuilder(HEADER).append("<hierarchy rotation=\"0\">");
        node(sb, top.root, 0, top.root.pkg);
        return sb.append("</hierarchy>").toString();
    }

    private static void node(StringBuilder sb, Node n, int index, String pkg) {
        sb.append("<node index=\"").append(index).append('"');
        attr(sb, "text", n.text);
        attr(sb, "resource-id", n.resourceId);
        attr(sb, "class", n.cls);
        attr(sb, "package", n.pkg.isEmpty() ? pkg : n.pkg);
        attr(sb, "content-desc", n.contentDesc);
        flag(sb, "checkable", n.checkable);
        flag(sb, "checked", n.checked);
        flag(sb, "clickable", n.clickable);
        flag(sb, "enabled", n.enabled);
        flag(sb, "focusable", n.focusable);
        flag(sb, "focused", false);
        flag(sb, "scrollable", n.scrollable);
        flag(sb, "long-clickable", n.longClickable);
        flag(sb, "password", false);
        flag(sb, "selected", false);
        sb.append(" bounds=\"[").append(n.left).append(',').append(n.top).append("][")
                .append(n.right).append(',').append(n.bottom).append("]\"");
        if (n.children.isEmpty()) {
            sb.append(" />");
            return;
        }
        sb.append('>');
        for (int i = 0; i < n.children.size(); i++) node(sb, n.children.get(i), i, n.pkg.isEmpty() ? pkg : n.pkg);
        sb.append("</node>");
    }

    private static void attr(StringBuilder sb, String name, String value) {
        sb.append(' ').append(name).append("=\"").append(escape(value == null ? "" : value)).append('"');
    }

    private static void flag(StringBuilder sb, String name, boolean value) {
        sb.append(' ').append(name).append("=\"").append(value).append('"');
    }

    static String escape(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&': out.append("&amp;"); break;
                case '<': out.append("&lt;"); break;
                case '>': out.append("&gt;"); break;
                case '"': out.append("&quot;"); break;
                case '\'': out.append("&apos;"); break;
                case '\n': out.append("&#10;"); break;
                case '\r': out.append("&#13;"); break;
                case '\t': out.append("&#9;"); break;
                default:
                    if (c < 0x20) out.append("&#").append((int) c).append(';');
                    else out.append(c);
            }
        }
        return out.toString();
    }
}
