package com.android.internal.standin.screen;

import android.content.pm.PackageManager;
import android.os.Handler;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The system's runtime permission prompt, drawn as Android 14's permission controller draws
 * it: a window of package com.google.android.permissioncontroller (resource ids in the
 * com.android.permissioncontroller namespace, as on Google's images), one prompt per
 * permission group, English labels as on an emulator's default locale. It belongs to the
 * system, not to the app: its buttons are not app views, so a tap on them reaches no
 * View.performClick the app's hooks could see, as on a device where the prompt runs in
 * another process.
 *
 * <p>Answers: "While using the app" and "Only this time" (location, camera, microphone) or
 * "Allow" (other groups) grant the group; "Don’t allow" and the back key deny it. A prompt
 * left unanswered for {@code wait} ms is withdrawn and the run's scripted answer applies
 * (the {@code fallback}), so an unattended run goes on as without a screen.
 */
public final class PermissionPrompt {
    public static final String PACKAGE = "com.google.android.permissioncontroller";
    static final String IDS = "com.android.permissioncontroller:id/";

    private static PermissionPrompt sShowing;

    private final String mAppLabel;
    private final String[] mNames;
    private final List<List<Integer>> mGroups = new ArrayList<>();
    private final List<String> mGroupNames = new ArrayList<>();
    private final int[] mResults;
    private final int[] mFallback;
    private final Consumer<int[]> mDone;
    private final Handler mHandler;
    private final long mWaitMs;
    private int mCurrent;
    private final Runnable mTimeout = this::timedOut;

    private PermissionPrompt(String appLabel, String[] names, int[] fallback, Consumer<int[]> done, Handler handler, long waitMs) {
        mAppLabel = appLabel;
        mNames = names;
        mFallback = fallback;
        mResults = fallback.clone();
        mDone = done;
        mHandler = handler;
        mWaitMs = waitMs;
        Map<String, List<Integer>> groups = new LinkedHashMap<>();
        for (int i = 0; i < names.length; i++) groups.computeIfAbsent(group(names[i]), k -> new ArrayList<>()).add(i);
        for (Map.Entry<String, List<Integer>> e : groups.entrySet()) {
            mGroupNames.add(e.getKey());
            mGroups.add(e.getValue());
        }
    }

    /**
     * Shows the prompt for `names` (the requests still to answer) on the main thread's handler;
     * `done` gets one result per name once every group is answered or withdrawn.
     */
    public static void show(String appLabel, String[] names, int[] fallback, Consumer<int[]> done, Handler handler, long waitMs) {
        PermissionPrompt p = new PermissionPrompt(appLabel, names, fallback, done, handler, waitMs);
        if (p.mGroups.isEmpty()) {
            done.accept(fallback.clone());
            return;
        }
        synchronized (PermissionPrompt.class) {
            sShowing = p;
        }
        p.mHandler.postDelayed(p.mTimeout, waitMs);
    }

    static synchronized PermissionPrompt showing() {
        return sShowing;
    }

    private void answer(boolean grant) {
        for (int i : mGroups.get(mCurrent)) mResults[i] = grant ? PackageManager.PERMISSION_GRANTED : PackageManager.PERMISSION_DENIED;
        next();
    }

    private void next() {
        mHandler.removeCallbacks(mTimeout);
        mCurrent++;
        if (mCurrent < mGroups.size()) {
            mHandler.postDelayed(mTimeout, mWaitMs);
            return;
        }
        synchronized (PermissionPrompt.class) {
            if (sShowing == this) sShowing = null;
        }
        mDone.accept(mResults.clone());
    }

    private void timedOut() {
        System.err.println("standin: the permission prompt (" + mGroupNames.get(mCurrent) + ") was not answered within "
                + mWaitMs + " ms; it is withdrawn and the scripted answer applies");
        for (int i : mGroups.get(mCurrent)) mResults[i] = mFallback[i];
        next();
    }

    /** The back key: the prompt is dismissed, the group denied (main thread). */
    void back() {
        answer(false);
    }

    /** The window's tree, placed as a bottom-centred card. */
    Node window() {
        Node root = new Node(Node.Role.FRAME);
        root.cls = "android.widget.FrameLayout";
        root.pkg = PACKAGE;
        root.setBounds(0, 0, ScreenLayout.WIDTH, ScreenLayout.HEIGHT);
        Node card = root.add(node(Node.Role.PANEL, "android.widget.LinearLayout", "grant_dialog", ""));
        Node icon = card.add(node(Node.Role.ICON, "android.widget.ImageView", "permission_icon", ""));
        String group = mGroupNames.get(mCurrent);
        String message = "Allow " + mAppLabel + " to " + what(group) + "?";
        Node msg = card.add(node(Node.Role.TITLE, "android.widget.TextView", "permission_message", message));
        msg.textSize = 51f;
        List<Node> buttons = new ArrayList<>();
        if (foregroundOnly(group)) {
            buttons.add(button("permission_allow_foreground_only_button", "While using the app", () -> answer(true)));
            buttons.add(button("permission_allow_one_time_button", "Only this time", () -> answer(true)));
        } else {
            buttons.add(button("permission_allow_button", "Allow", () -> answer(true)));
        }
        buttons.add(button("permission_deny_button", "Don\u2019t allow", () -> answer(false)));
        int w = ScreenLayout.WIDTH - 2 * 42;
        int inner = w - 2 * 66;
        msg.lines = ScreenLayout.wrap(message, inner, msg.textSize);
        int msgH = ScreenLayout.lineHeight(msg.textSize) * msg.lines.size() + 48;
        int h = 72 + 96 + 42 + msgH + 42 + buttons.size() * (132 + 24) + 48;
        int top = ScreenLayout.HEIGHT - 120 - h;
        card.setBounds(42, top, 42 + w, top + h);
        int y = top + 72;
        icon.setBounds(540 - 48, y, 540 + 48, y + 96);
        y += 96 + 42;
        msg.setBounds(42, y, 42 + w, y + msgH);
        y += msgH + 42;
        for (Node b : buttons) {
            card.add(b);
            b.setBounds(42 + 66, y, 42 + 66 + inner, y + 132);
            b.lines = List.of(b.text);
            y += 132 + 24;
        }
        return root;
    }

    private static Node node(Node.Role role, String cls, String id, String text) {
        Node n = new Node(role);
        n.cls = cls;
        n.pkg = PACKAGE;
        n.resourceId = IDS + id;
        n.text = text;
        return n;
    }

    private static Node button(String id, String text, Runnable action) {
        Node b = node(Node.Role.BUTTON, "android.widget.Button", id, text);
        b.clickable = true;
        b.focusable = true;
        b.action = action;
        return b;
    }

    static String group(String permission) {
        String p = permission.replace("android.permission.", "");
        switch (p) {
            case "ACCESS_FINE_LOCATION": case "ACCESS_COARSE_LOCATION": case "ACCESS_BACKGROUND_LOCATION": return "LOCATION";
            case "CAMERA": return "CAMERA";
            case "RECORD_AUDIO": return "MICROPHONE";
            case "READ_CONTACTS": case "WRITE_CONTACTS": case "GET_ACCOUNTS": return "CONTACTS";
            case "READ_PHONE_STATE": case "READ_PHONE_NUMBERS": case "CALL_PHONE": case "READ_CALL_LOG": case "WRITE_CALL_LOG": return "PHONE";
            case "READ_SMS": case "SEND_SMS": case "RECEIVE_SMS": return "SMS";
            case "READ_CALENDAR": case "WRITE_CALENDAR": return "CALENDAR";
            case "READ_EXTERNAL_STORAGE": case "WRITE_EXTERNAL_STORAGE": case "READ_MEDIA_IMAGES": case "READ_MEDIA_VIDEO": return "STORAGE";
            case "ACTIVITY_RECOGNITION": return "ACTIVITY_RECOGNITION";
            case "BODY_SENSORS": return "SENSORS";
            default: return p;
        }
    }

    private static boolean foregroundOnly(String group) {
        return group.equals("LOCATION") || group.equals("CAMERA") || group.equals("MICROPHONE");
    }

    private static String what(String group) {
        switch (group) {
            case "LOCATION": return "access this device\u2019s location";
            case "CAMERA": return "take pictures and record video";
            case "MICROPHONE": return "record audio";
            case "CONTACTS": return "access your contacts";
            case "PHONE": return "make and manage phone calls";
            case "SMS": return "send and view SMS messages";
            case "CALENDAR": return "access your calendar";
            case "STORAGE": return "access photos and videos on this device";
            case "ACTIVITY_RECOGNITION": return "access your physical activity";
            case "SENSORS": return "access sensor data about your vital signs";
            default: return "use " + group;
        }
    }
}
