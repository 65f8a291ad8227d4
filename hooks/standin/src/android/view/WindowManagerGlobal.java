package android.view;

import java.util.ArrayList;
import java.util.List;

/** The process's window list. */
public final class WindowManagerGlobal {
    private static final WindowManagerGlobal sInstance = new WindowManagerGlobal();
    private final ArrayList<View> mViews = new ArrayList<>();

    private WindowManagerGlobal() {}

    public static WindowManagerGlobal getInstance() {
        return sInstance;
    }

    public synchronized void addView(View view, ViewGroup.LayoutParams params) {
        if (mViews.contains(view)) throw new IllegalStateException("View " + view + " has already been added to the window manager.");
        mViews.add(view);
        view.dispatchAttachedToWindow();
    }

    public synchronized void removeView(View view) {
        if (mViews.remove(view)) view.dispatchDetachedFromWindow();
    }

    /** Root views of the windows now on screen, oldest first (what a UI automator sees). */
    public synchronized List<View> getWindowViews() {
        return new ArrayList<>(mViews);
    }
}
