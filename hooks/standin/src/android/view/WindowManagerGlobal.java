package android.view;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/** The process's window list. */
public final class WindowManagerGlobal {
    private static final WindowManagerGlobal sInstance = new WindowManagerGlobal();
    private final ArrayList<View> mViews = new ArrayList<>();
    private final Map<View, ViewGroup.LayoutParams> mParams = new IdentityHashMap<>();
    private final Map<View, Object> mOwners = new IdentityHashMap<>();

    private WindowManagerGlobal() {}

    public static WindowManagerGlobal getInstance() {
        return sInstance;
    }

    public synchronized void addView(View view, ViewGroup.LayoutParams params) {
        if (mViews.contains(view)) throw new IllegalStateException("View " + view + " has already been added to the window manager.");
        mViews.add(view);
        mParams.put(view, params);
        view.dispatchAttachedToWindow();
    }

    public synchronized void removeView(View view) {
        if (mViews.remove(view)) {
            mParams.remove(view);
            mOwners.remove(view);
            view.dispatchDetachedFromWindow();
        }
    }

    /** The layout params a window was added with (null once it is removed). */
    public synchronized ViewGroup.LayoutParams getWindowParams(View root) {
        return mParams.get(root);
    }

    /** Who owns a window (a Dialog for its decor view): the back key and the screen's layout ask. */
    public synchronized void setWindowOwner(View root, Object owner) {
        if (mViews.contains(root)) mOwners.put(root, owner);
    }

    public synchronized Object getWindowOwner(View root) {
        return mOwners.get(root);
    }

    /** Root views of the windows now on screen, oldest first (what a UI automator sees). */
    public synchronized List<View> getWindowViews() {
        return new ArrayList<>(mViews);
    }
}
