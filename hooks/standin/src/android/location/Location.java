package android.location;

public class Location {
    private String mProvider;
    private long mTimeMs;
    private long mElapsedRealtimeNs;
    private double mLatitude;
    private double mLongitude;
    private double mAltitude;
    private float mAccuracy;
    private boolean mHasAccuracy;

    public Location(String provider) {
        mProvider = provider;
    }

    public Location(Location l) {
        set(l);
    }

    public void set(Location l) {
        mProvider = l.mProvider;
        mTimeMs = l.mTimeMs;
        mElapsedRealtimeNs = l.mElapsedRealtimeNs;
        mLatitude = l.mLatitude;
        mLongitude = l.mLongitude;
        mAltitude = l.mAltitude;
        mAccuracy = l.mAccuracy;
        mHasAccuracy = l.mHasAccuracy;
    }

    public String getProvider() { return mProvider; }
    public void setProvider(String provider) { mProvider = provider; }
    public long getTime() { return mTimeMs; }
    public void setTime(long timeMs) { mTimeMs = timeMs; }
    public long getElapsedRealtimeNanos() { return mElapsedRealtimeNs; }
    public void setElapsedRealtimeNanos(long ns) { mElapsedRealtimeNs = ns; }
    public double getLatitude() { return mLatitude; }
    public void setLatitude(double latitude) { mLatitude = latitude; }
    public double getLongitude() { return mLongitude; }
    public void setLongitude(double longitude) { mLongitude = longitude; }
    public double getAltitude() { return mAltitude; }
    public void setAltitude(double altitude) { mAltitude = altitude; }
    public boolean hasAccuracy() { return mHasAccuracy; }
    public float getAccuracy() { return mAccuracy; }

    public void setAccuracy(float accuracy) {
        mAccuracy = accuracy;
        mHasAccuracy = true;
    }

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "Location[%s %.6f,%.6f acc=%.0f]", mProvider, mLatitude, mLongitude, mAccuracy);
    }
}
