package android.view;

public final class MotionEvent {
    public static final int ACTION_DOWN = 0;
    public static final int ACTION_UP = 1;
    public static final int ACTION_MOVE = 2;

    private int mAction;
    private float mX;
    private float mY;

    private MotionEvent() {}

    public static MotionEvent obtain(long downTime, long eventTime, int action, float x, float y, int metaState) {
        MotionEvent ev = new MotionEvent();
        ev.mAction = action;
        ev.mX = x;
        ev.mY = y;
        return ev;
    }

    public int getActionMasked() {
        return mAction & 0xff;
    }

    public float getX() {
        return mX;
    }

    public float getY() {
        return mY;
    }

    public void recycle() {
        mAction = -1;
    }
}
