package android.app;

import android.content.Context;
import android.content.DialogInterface;
import android.os.Bundle;
import android.view.View;
import android.view.Window;
import android.view.WindowManager;
import com.android.internal.policy.PhoneWindow;

public class Dialog implements DialogInterface {
    final Context mContext;
    final WindowManager mWindowManager;
    final Window mWindow;
    View mDecor;
    private boolean mCreated;
    private boolean mShowing;
    private boolean mCanceled;
    private boolean mCancelable = true;
    private OnDismissListener mOnDismissListener;
    private OnCancelListener mOnCancelListener;
    private OnShowListener mOnShowListener;

    public Dialog(Context context) {
        this(context, 0);
    }

    public Dialog(Context context, int themeResId) {
        mContext = context;
        mWindowManager = (WindowManager) context.getSystemService(Context.WINDOW_SERVICE);
        mWindow = new PhoneWindow(mContext);
        mWindow.setWindowManager(mWindowManager);
    }

    public final Context getContext() {
        return mContext;
    }

    public Window getWindow() {
        return mWindow;
    }

    public boolean isShowing() {
        return mDecor != null && mShowing;
    }

    public void create() {
        if (!mCreated) dispatchOnCreate(null);
    }

    public void show() {
        if (mShowing) {
            if (mDecor != null) mDecor.setVisibility(View.VISIBLE);
            return;
        }
        mCanceled = false;
        if (!mCreated) dispatchOnCreate(null);
        onStart();
        mDecor = mWindow.getDecorView();
        WindowManager.LayoutParams l = mWindow.getAttributes();
        mWindowManager.addView(mDecor, l);
        android.view.WindowManagerGlobal.getInstance().setWindowOwner(mDecor, this);
        mShowing = true;
        if (mOnShowListener != null) mOnShowListener.onShow(this);
    }

    public void hide() {
        if (mDecor != null) mDecor.setVisibility(View.GONE);
    }

    @Override
    public void dismiss() {
        dismissDialog();
    }

    void dismissDialog() {
        if (mDecor == null || !mShowing) return;
        try {
            mWindowManager.removeViewImmediate(mDecor);
        } finally {
            mDecor = null;
            mShowing = false;
            onStop();
            if (mOnDismissListener != null) mOnDismissListener.onDismiss(this);
        }
    }

    @Override
    public void cancel() {
        if (!mCanceled && mOnCancelListener != null) {
            mCanceled = true;
            mOnCancelListener.onCancel(this);
        }
        dismiss();
    }

    void dispatchOnCreate(Bundle savedInstanceState) {
        if (!mCreated) {
            onCreate(savedInstanceState);
            mCreated = true;
        }
    }

    protected void onCreate(Bundle savedInstanceState) {}

    protected void onStart() {}

    protected void onStop() {}

    public void setContentView(View view) {
        mWindow.setContentView(view);
    }

    public void setTitle(CharSequence title) {
        mWindow.setTitle(title);
    }

    /** Hidden: whether the back key may cancel this dialog (the stand-in's screen asks). */
    public boolean isCancelable() {
        return mCancelable;
    }

    public void setCancelable(boolean flag) {
        mCancelable = flag;
    }

    public void setCanceledOnTouchOutside(boolean cancel) {}

    public void setOnDismissListener(OnDismissListener listener) {
        mOnDismissListener = listener;
    }

    public void setOnCancelListener(OnCancelListener listener) {
        mOnCancelListener = listener;
    }

    public void setOnShowListener(OnShowListener listener) {
        mOnShowListener = listener;
    }
}
