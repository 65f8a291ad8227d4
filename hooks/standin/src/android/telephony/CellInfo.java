package android.telephony;

public abstract class CellInfo {
    private final boolean mRegistered;
    private final long mTimeStamp;

    protected CellInfo(boolean registered, long timeStampNanos) {
        mRegistered = registered;
        mTimeStamp = timeStampNanos;
    }

    public boolean isRegistered() { return mRegistered; }

    public long getTimeStamp() { return mTimeStamp; }
}
