package android.hardware;

public final class Sensor {
    public static final int TYPE_ACCELEROMETER = 1;
    public static final int TYPE_MAGNETIC_FIELD = 2;
    public static final int TYPE_GYROSCOPE = 4;
    public static final int TYPE_LIGHT = 5;
    public static final int TYPE_PROXIMITY = 8;
    public static final int TYPE_STEP_COUNTER = 19;
    public static final int TYPE_ALL = -1;

    private final int mType;
    private final String mName;
    private final String mVendor;

    Sensor(int type, String name, String vendor) {
        mType = type;
        mName = name;
        mVendor = vendor;
    }

    public int getType() { return mType; }
    public String getName() { return mName; }
    public String getVendor() { return mVendor; }

    @Override public String toString() { return "{Sensor name=\"" + mName + "\", vendor=\"" + mVendor + "\", type=" + mType + "}"; }
}
