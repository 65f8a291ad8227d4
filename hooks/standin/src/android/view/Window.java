package android.view;

import android.content.Context;

public abstract class Window {
    private final Context mContext;
    private WindowManager mWindowManager;
    private final WindowManager.LayoutParams mWindowAttributes = new WindowManager.LayoutParams();

    public Window(Context context) {
        mContext = context;
    }

    public final Context getContext() {
        return mContext;
    }

    public void setWindowManager(WindowManager wm) {
        mWindowManager = wm;
    }

    public WindowManager getWindowManager() {
        return mWindowManager;
    }

    public final WindowManager.LayoutParams getAttributes() {
        return mWindowAttributes;
    }

    public abstract void setContentView(View view);

    public abstract void setTitle(CharSequence title);

    public abstract View getDecorView();

    public abstract View peekDecorView();
}
