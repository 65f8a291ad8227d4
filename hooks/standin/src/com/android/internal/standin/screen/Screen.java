package com.android.internal.standin.screen;

import android.app.Activity;
import android.app.ActivityThread;
import android.app.Dialog;
import android.os.Handler;
import android.os.Looper;
import android.os.SystemClock;
import android.view.MotionEvent;
import android.view.View;
import android.view.WindowManagerGlobal;
import java.util.ArrayList;
import java.util.List;

/**
 * The stand-in's screen: its windows bottom to top (the resumed activity, the app's dialogs and
 * popups in the order they were added, the system's permission prompt), laid out by
 * ScreenLayout, and the input a device's input dispatcher delivers to them.
 *
 * <p>Input methods ({@link #tap}, {@link #key}) run on the app's main thread, as Android
 * delivers input: the topmost window takes the touch; inside it the deepest clickable view
 * under the point gets View.performClick (the path a finger's ACTION_UP takes), so the app's
 * click listeners and any hook on performClick see the tap as they would on a device. A
 * touch outside a modal window (a dialog, the permission prompt) does nothing. A touch on an
 * activity where no clickable view is hit goes to Activity.dispatchTouchEvent.
 */
public final class Screen {
    /** Told on the main thread just before a tap clicks an app view (the stand-in's device user listens). */
    public interface TapObserver {
        void beforeClick(View target);
    }

    private static volatile TapObserver sObserver;
    private static final List<Runnable> sHeld = new ArrayList<>();
    private static boolean sHolding;

    private Screen() {}

    public static void setTapObserver(TapObserver observer) {
        sObserver = observer;
    }

    /**
     * Holds input back from the main thread (true) or lets it through, held events first in
     * their order (false). The stand-in's script uses it where a system event must reach the
     * app before whatever the person taps next (the demo's push after 不同意).
     */
    public static void holdInput(boolean hold) {
        List<Runnable> release;
        synchronized (sHeld) {
            sHolding = hold;
            if (hold) return;
            release = new ArrayList<>(sHeld);
            sHeld.clear();
        }
        Handler main = new Handler(Looper.getMainLooper());
        for (Runnable r : release) main.post(r);
    }

    /** Queues an input event for the main thread (or holds it, see holdInput). */
    static void postInput(Runnable event) {
        synchronized (sHeld) {
            if (sHolding) {
                sHeld.add(event);
                return;
            }
        }
        new Handler(Looper.getMainLooper()).post(event);
    }

    /** One window on screen. */
    static final class Win {
        final Node root;
        final boolean modal;
        final Object owner;       // a Dialog, an Activity, a PermissionPrompt, or null for a popup
        Win(Node root, boolean modal, Object owner) {
            this.root = root;
            this.modal = modal;
            this.owner = owner;
        }
    }

    static String appPackage() {
        String pkg = ActivityThread.currentPackageName();
        return pkg != null ? pkg : "android";
    }

    static String appLabel() {
        String label = System.getProperty("standin.app_label");
        return label != null && !label.isBlank() ? label : "演示商城";
    }

    /** The windows now on screen, bottom to top, laid out. */
    static synchronized List<Win> windows() {
        List<Win> out = new ArrayList<>();
        String pkg = appPackage();
        ActivityThread thread = ActivityThread.currentActivityThread();
        Activity top = null;
        if (thread != null) {
            for (Activity a : thread.getActivities()) if (!a.isFinishing()) top = a;
        }
        if (top != null) {
            View decor = top.getWindow() != null ? top.getWindow().peekDecorView() : null;
            Node root;
            if (decor != null) {
                root = ScreenLayout.build(decor, pkg);
            } else {
                root = new Node(Node.Role.FRAME);
                root.cls = "android.widget.FrameLayout";
                root.pkg = pkg;
            }
            ScreenLayout.layoutWindow(root, null, null);
            out.add(new Win(root, false, top));
        }
        WindowManagerGlobal wm = WindowManagerGlobal.getInstance();
        for (View v : wm.getWindowViews()) {
            if (v.getVisibility() != View.VISIBLE) continue;
            Object owner = wm.getWindowOwner(v);
            Node root = ScreenLayout.build(v, pkg);
            ScreenLayout.layoutWindow(root, owner, wm.getWindowParams(v));
            out.add(new Win(root, owner instanceof Dialog, owner));
        }
        PermissionPrompt prompt = PermissionPrompt.showing();
        if (prompt != null) out.add(new Win(prompt.window(), true, prompt));
        return out;
    }

    /** The topmost window, or null when the app shows nothing. */
    static Win top(List<Win> windows) {
        return windows.isEmpty() ? null : windows.get(windows.size() - 1);
    }

    /** The deepest clickable node under (x, y), later (drawn above) siblings first. */
    static Node hit(Node n, int x, int y) {
        if (!n.contains(x, y)) return null;
        for (int i = n.children.size() - 1; i >= 0; i--) {
            Node h = hit(n.children.get(i), x, y);
            if (h != null) return h;
        }
        return n.clickable ? n : null;
    }

    /** What a tap at (x, y) would hit on the current screen, without delivering it. */
    static String peek(int x, int y) {
        Win top = top(windows());
        Node h = top == null ? null : hit(top.root, x, y);
        return h == null ? null : h.describe();
    }

    /** Delivers a tap (main thread); returns "<class> <text>" of the element that took it, or null. */
    static String tap(int x, int y) {
        Win top = top(windows());
        if (top == null) return null;
        Node h = hit(top.root, x, y);
        if (h == null) {
            if (top.owner instanceof Activity && top.root.contains(x, y)) touchActivity((Activity) top.owner, x, y);
            return null;
        }
        if (h.action != null) {
            h.action.run();
        } else if (h.view != null && h.enabled) {
            TapObserver observer = sObserver;
            if (observer != null) observer.beforeClick(h.view);
            h.view.performClick();
        }
        return h.describe();
    }

    private static void touchActivity(Activity activity, int x, int y) {
        long down = SystemClock.uptimeMillis();
        activity.dispatchTouchEvent(MotionEvent.obtain(down, down, MotionEvent.ACTION_DOWN, x, y, 0));
        activity.dispatchTouchEvent(MotionEvent.obtain(down, SystemClock.uptimeMillis(), MotionEvent.ACTION_UP, x, y, 0));
    }

    /**
     * A key (main thread). BACK: the permission prompt denies, a cancelable dialog is
     * cancelled (Dialog.cancel), an activity finishes; a dialog made not cancelable ignores it.
     * HOME: the activity is paused. Other keys have no effect. Returns what took the key.
     */
    static String key(int code) {
        Win top = top(windows());
        if (top == null) return null;
        if (code == 4) {
            if (top.owner instanceof PermissionPrompt) {
                ((PermissionPrompt) top.owner).back();
                return "permission prompt dismissed";
            }
            if (top.owner instanceof Dialog) {
                Dialog d = (Dialog) top.owner;
                if (!d.isCancelable()) return null;
                d.cancel();
                return "dialog cancelled";
            }
            if (top.owner instanceof Activity) {
                ((Activity) top.owner).finish();
                return "activity finished";
            }
        } else if (code == 3) {
            ActivityThread thread = ActivityThread.currentActivityThread();
            for (Win w : windows()) {
                if (w.owner instanceof Activity && thread != null) {
                    thread.pauseActivity((Activity) w.owner);
                    return "activity paused";
                }
            }
        }
        return null;
    }
}
