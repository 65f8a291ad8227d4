package android.view;

/** A touch: action, position and times, built with the public obtain() factory as on Android. */
public final class MotionEvent extends InputEvent {
    public static final int ACTION_DOWN = 0;
    public static final int ACTION_UP = 1;
    public static final int ACTION_MOVE = 2;
    public static final int ACTION_CANCEL = 3;

    private long mDownTime;
    private long mEventTime;
    private int mAction;
    private float mX;
    private float mY;
    private int mMetaState;

    private MotionEvent() {}

    public static MotionEvent obtain(long downTime, long eventTime, int action, float x, float y, int metaState) {
        MotionEvent ev = new MotionEvent();
        ev.mDownTime = downTime;
        ev.mEventTime = eventTime;
        ev.mAction = action;
        ev.mX = x;
        ev.mY = y;
        ev.mMetaState = metaState;
        return ev;
    }

    public final int getAction() {
        return mAction;
    }

    public final int getActionMasked() {
        return mAction & 0xff;
    }

    public final float getX() {
        return mX;
    }

    public final float getY() {
        return mY;
    }

    public final float getRawX() {
        return mX;
    }

    public final float getRawY() {
        return mY;
    }

    public final long getDownTime() {
        return mDownTime;
    }

    @Override
    public final long getEventTime() {
        return mEventTime;
    }

    @Override
    public final int getDeviceId() {
        return 1;
    }

    public final int getMetaState() {
        return mMetaState;
    }

    public final void recycle() {}

    @Override
    public String toString() {
        return "MotionEvent { action=" + (mAction == ACTION_DOWN ? "ACTION_DOWN" : mAction == ACTION_UP ? "ACTION_UP" : String.valueOf(mAction))
                + ", x=" + mX + ", y=" + mY + ", eventTime=" + mEventTime + ", downTime=" + mDownTime + " }";
    }
}
