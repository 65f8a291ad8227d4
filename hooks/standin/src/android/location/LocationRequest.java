package android.location;

public final class LocationRequest {
    public static final int QUALITY_HIGH_ACCURACY = 100;
    public static final int QUALITY_BALANCED_POWER_ACCURACY = 102;

    private final long mIntervalMillis;
    private final int mQuality;
    private final float mMinUpdateDistanceMeters;
    private final int mMaxUpdates;

    private LocationRequest(long intervalMillis, int quality, float minUpdateDistanceMeters, int maxUpdates) {
        mIntervalMillis = intervalMillis;
        mQuality = quality;
        mMinUpdateDistanceMeters = minUpdateDistanceMeters;
        mMaxUpdates = maxUpdates;
    }

    public long getIntervalMillis() { return mIntervalMillis; }
    public int getQuality() { return mQuality; }
    public float getMinUpdateDistanceMeters() { return mMinUpdateDistanceMeters; }
    public int getMaxUpdates() { return mMaxUpdates; }

    public static final class Builder {
        private long mIntervalMillis;
        private int mQuality = QUALITY_BALANCED_POWER_ACCURACY;
        private float mMinUpdateDistanceMeters;
        private int mMaxUpdates = Integer.MAX_VALUE;

        public Builder(long intervalMillis) {
            mIntervalMillis = intervalMillis;
        }

        public Builder setQuality(int quality) {
            mQuality = quality;
            return this;
        }

        public Builder setMinUpdateDistanceMeters(float minUpdateDistanceMeters) {
            mMinUpdateDistanceMeters = minUpdateDistanceMeters;
            return this;
        }

        public Builder setMaxUpdates(int maxUpdates) {
            if (maxUpdates <= 0) throw new IllegalArgumentException("maxUpdates must be greater than 0");
            mMaxUpdates = maxUpdates;
            return this;
        }

        public LocationRequest build() {
            return new LocationRequest(mIntervalMillis, mQuality, mMinUpdateDistanceMeters, mMaxUpdates);
        }
    }
}
