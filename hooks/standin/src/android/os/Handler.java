package android.os;

public class Handler {
    private final Looper mLooper;

    /** @deprecated implicit looper, as on Android. */
    @Deprecated
    public Handler() {
        this(Looper.myLooper());
    }

    public Handler(Looper looper) {
        if (looper == null) throw new RuntimeException("Can't create handler inside thread that has not called Looper.prepare()");
        mLooper = looper;
    }

    public final Looper getLooper() {
        return mLooper;
    }

    public final boolean post(Runnable r) {
        return postDelayed(r, 0);
    }

    public final boolean postDelayed(Runnable r, long delayMillis) {
        mLooper.enqueue(r, SystemClock.uptimeMillis() + Math.max(0, delayMillis));
        return true;
    }

    public final void removeCallbacks(Runnable r) {
        mLooper.remove(r);
    }
}
