package android.widget;

import android.content.Context;
import android.view.View;
import android.view.WindowManager;
import android.view.WindowManagerImpl;

public class PopupWindow {
    private View mContentView;
    private int mWidth;
    private int mHeight;
    private boolean mIsShowing;
    private WindowManager mWindowManager;
    private OnDismissListener mOnDismissListener;

    public PopupWindow(Context context) {
        mWindowManager = new WindowManagerImpl(context);
    }

    public PopupWindow(View contentView, int width, int height) {
        this(contentView, width, height, false);
    }

    public PopupWindow(View contentView, int width, int height, boolean focusable) {
        if (contentView != null) mWindowManager = new WindowManagerImpl(contentView.getContext());
        mContentView = contentView;
        mWidth = width;
        mHeight = height;
    }

    public interface OnDismissListener {
        void onDismiss();
    }

    public View getContentView() { return mContentView; }

    public void setContentView(View contentView) {
        if (isShowing()) return;
        mContentView = contentView;
        if (mWindowManager == null && contentView != null) mWindowManager = new WindowManagerImpl(contentView.getContext());
    }

    public boolean isShowing() { return mIsShowing; }
    public int getWidth() { return mWidth; }
    public int getHeight() { return mHeight; }
    public void setOnDismissListener(OnDismissListener listener) { mOnDismissListener = listener; }

    public void showAtLocation(View parent, int gravity, int x, int y) {
        show();
    }

    public void showAsDropDown(View anchor) {
        showAsDropDown(anchor, 0, 0);
    }

    public void showAsDropDown(View anchor, int xoff, int yoff) {
        showAsDropDown(anchor, xoff, yoff, 0);
    }

    public void showAsDropDown(View anchor, int xoff, int yoff, int gravity) {
        show();
    }

    private void show() {
        if (isShowing() || mContentView == null) return;
        WindowManager.LayoutParams p = new WindowManager.LayoutParams(WindowManager.LayoutParams.TYPE_APPLICATION_PANEL);
        p.width = mWidth;
        p.height = mHeight;
        mWindowManager.addView(mContentView, p);
        mIsShowing = true;
    }

    public void dismiss() {
        if (!isShowing()) return;
        mIsShowing = false;
        mWindowManager.removeViewImmediate(mContentView);
        if (mOnDismissListener != null) mOnDismissListener.onDismiss();
    }
}
