package android.app;

import android.view.MotionEvent;

/** The part of ActivityThread that drives an activity: resume, pause, deliver touches. */
public final class ActivityThread {
    private static String sPackageName;

    public static String currentPackageName() {
        return sPackageName;
    }

    public static Activity launch(String packageName, Activity activity) {
        sPackageName = packageName;
        activity.attachBaseContext(ContextImpl.createAppContext(packageName));
        activity.performResume(false, "launch");
        return activity;
    }

    public static void pause(Activity activity) {
        activity.performPause();
    }

    public static boolean touch(Activity activity, int action, float x, float y) {
        MotionEvent ev = MotionEvent.obtain(0L, 0L, action, x, y, 0);
        boolean handled = activity.dispatchTouchEvent(ev);
        ev.recycle();
        return handled;
    }
}
