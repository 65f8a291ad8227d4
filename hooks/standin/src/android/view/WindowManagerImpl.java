package android.view;

import android.content.Context;

/** Hidden implementation behind Context.getSystemService(WINDOW_SERVICE): a hook target. */
public final class WindowManagerImpl implements WindowManager {
    private final WindowManagerGlobal mGlobal = WindowManagerGlobal.getInstance();
    private final Context mContext;

    public WindowManagerImpl(Context context) {
        mContext = context;
    }

    @Override
    public void addView(View view, ViewGroup.LayoutParams params) {
        mGlobal.addView(view, params);
    }

    @Override
    public void updateViewLayout(View view, ViewGroup.LayoutParams params) {}

    @Override
    public void removeView(View view) {
        mGlobal.removeView(view);
    }

    @Override
    public void removeViewImmediate(View view) {
        mGlobal.removeView(view);
    }
}
