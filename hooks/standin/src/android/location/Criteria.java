package android.location;

@Deprecated
public class Criteria {
    public static final int ACCURACY_FINE = 1;
    public static final int ACCURACY_COARSE = 2;

    private int mAccuracy;

    public Criteria() {}

    public void setAccuracy(int accuracy) { mAccuracy = accuracy; }

    public int getAccuracy() { return mAccuracy; }
}
