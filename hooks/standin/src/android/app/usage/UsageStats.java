package android.app.usage;

/** One package's usage over an interval. */
public final class UsageStats {
    String mPackageName;
    long mBeginTimeStamp;
    long mEndTimeStamp;
    long mLastTimeUsed;
    long mTotalTimeInForeground;

    /** Hidden constructor. */
    public UsageStats() {}

    public String getPackageName() {
        return mPackageName;
    }

    public long getFirstTimeStamp() {
        return mBeginTimeStamp;
    }

    public long getLastTimeStamp() {
        return mEndTimeStamp;
    }

    public long getLastTimeUsed() {
        return mLastTimeUsed;
    }

    public long getTotalTimeInForeground() {
        return mTotalTimeInForeground;
    }
}
