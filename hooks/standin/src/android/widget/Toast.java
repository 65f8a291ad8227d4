package android.widget;

import android.content.Context;
import android.view.View;

/**
 * A text toast keeps its text in {@code mText} (as AOSP does since API 30, where a text toast is
 * drawn by the system and {@link #getView()} is null); a custom toast shows its view.
 */
public class Toast {
    public static final int LENGTH_SHORT = 0;
    public static final int LENGTH_LONG = 1;

    private final Context mContext;
    private CharSequence mText;
    private View mNextView;
    private int mDuration;
    private boolean mShown;

    public Toast(Context context) {
        mContext = context;
    }

    public static Toast makeText(Context context, CharSequence text, int duration) {
        Toast toast = new Toast(context);
        toast.mText = text;
        toast.mDuration = duration;
        return toast;
    }

    public void setText(CharSequence s) {
        mText = s;
    }

    public void setDuration(int duration) {
        mDuration = duration;
    }

    public int getDuration() {
        return mDuration;
    }

    @Deprecated
    public void setView(View view) {
        mNextView = view;
    }

    @Deprecated
    public View getView() {
        return mNextView;
    }

    public void show() {
        if (mText == null && mNextView == null) throw new RuntimeException("setView or setText must have been called");
        mShown = true;
    }

    public void cancel() {
        mShown = false;
    }

    /** Stand-in only: whether show() ran and cancel() did not follow. */
    public boolean isShowingForTest() {
        return mShown;
    }
}
