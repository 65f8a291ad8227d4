package android.view;

import android.content.Context;
import android.os.Handler;
import android.os.Looper;

public class View {
    public static final int NO_ID = -1;
    public static final int VISIBLE = 0x00000000;
    public static final int INVISIBLE = 0x00000004;
    public static final int GONE = 0x00000008;

    protected Context mContext;
    private int mId = NO_ID;
    private int mVisibility = VISIBLE;
    private CharSequence mContentDescription;
    private ViewParent mParent;
    private Object mTag;
    private boolean mAttached;
    private ListenerInfo mListenerInfo;
    private boolean mClickable;
    private boolean mEnabled = true;
    // Where the last layout pass put this view, in screen pixels (the stand-in's windows are
    // laid out by com.android.internal.standin.screen.ScreenLayout; one window = one screen).
    protected int mLeft;
    protected int mTop;
    protected int mRight;
    protected int mBottom;

    public View(Context context) {
        mContext = context;
    }

    public interface OnClickListener {
        void onClick(View v);
    }

    public interface OnLongClickListener {
        boolean onLongClick(View v);
    }

    static class ListenerInfo {
        OnClickListener mOnClickListener;
        OnLongClickListener mOnLongClickListener;
    }

    ListenerInfo getListenerInfo() {
        if (mListenerInfo == null) mListenerInfo = new ListenerInfo();
        return mListenerInfo;
    }

    public final Context getContext() {
        return mContext;
    }

    public android.content.res.Resources getResources() {
        return mContext.getResources();
    }

    public void setOnClickListener(OnClickListener l) {
        if (!isClickable()) setClickable(true);
        getListenerInfo().mOnClickListener = l;
    }

    public boolean isClickable() {
        return mClickable;
    }

    public void setClickable(boolean clickable) {
        mClickable = clickable;
    }

    public boolean isEnabled() {
        return mEnabled;
    }

    public void setEnabled(boolean enabled) {
        mEnabled = enabled;
    }

    public boolean isLongClickable() {
        ListenerInfo li = mListenerInfo;
        return li != null && li.mOnLongClickListener != null;
    }

    /** Assigns this view's position (AOSP: relative to the parent; here in screen pixels). */
    public void layout(int l, int t, int r, int b) {
        mLeft = l;
        mTop = t;
        mRight = r;
        mBottom = b;
    }

    public final int getLeft() {
        return mLeft;
    }

    public final int getTop() {
        return mTop;
    }

    public final int getRight() {
        return mRight;
    }

    public final int getBottom() {
        return mBottom;
    }

    public final int getWidth() {
        return mRight - mLeft;
    }

    public final int getHeight() {
        return mBottom - mTop;
    }

    public void getLocationOnScreen(int[] outLocation) {
        outLocation[0] = mLeft;
        outLocation[1] = mTop;
    }

    public void setOnLongClickListener(OnLongClickListener l) {
        getListenerInfo().mOnLongClickListener = l;
    }

    public boolean hasOnClickListeners() {
        ListenerInfo li = mListenerInfo;
        return li != null && li.mOnClickListener != null;
    }

    /** Reached from touch handling and accessibility on a device; the stand-in's user taps call it. */
    public boolean performClick() {
        final boolean result;
        final ListenerInfo li = mListenerInfo;
        if (li != null && li.mOnClickListener != null) {
            li.mOnClickListener.onClick(this);
            result = true;
        } else {
            result = false;
        }
        return result;
    }

    /** Calls the click listener directly, bypassing performClick (no sound, no accessibility event). */
    public boolean callOnClick() {
        ListenerInfo li = mListenerInfo;
        if (li != null && li.mOnClickListener != null) {
            li.mOnClickListener.onClick(this);
            return true;
        }
        return false;
    }

    public CharSequence getContentDescription() {
        return mContentDescription;
    }

    public void setContentDescription(CharSequence contentDescription) {
        mContentDescription = contentDescription;
    }

    public int getId() {
        return mId;
    }

    public void setId(int id) {
        mId = id;
    }

    public Object getTag() {
        return mTag;
    }

    public void setTag(Object tag) {
        mTag = tag;
    }

    public int getVisibility() {
        return mVisibility;
    }

    public void setVisibility(int visibility) {
        mVisibility = visibility;
    }

    public boolean isShown() {
        return mAttached && mVisibility == VISIBLE;
    }

    public boolean isAttachedToWindow() {
        return mAttached;
    }

    public final ViewParent getParent() {
        return mParent;
    }

    void assignParent(ViewParent parent) {
        mParent = parent;
    }

    public View getRootView() {
        View v = this;
        while (v.mParent instanceof View) v = (View) v.mParent;
        return v;
    }

    public boolean post(Runnable action) {
        Looper main = Looper.getMainLooper();
        return main != null && new Handler(main).post(action);
    }

    protected void onAttachedToWindow() {}

    protected void onDetachedFromWindow() {}

    void dispatchAttachedToWindow() {
        mAttached = true;
        onAttachedToWindow();
    }

    void dispatchDetachedFromWindow() {
        mAttached = false;
        onDetachedFromWindow();
    }

    @Override
    public String toString() {
        return getClass().getName() + "{" + Integer.toHexString(System.identityHashCode(this)) + (mId != NO_ID ? " id=0x" + Integer.toHexString(mId) : "") + "}";
    }
}
