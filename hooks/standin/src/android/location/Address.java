package android.location;

import java.util.Locale;

public class Address {
    private final Locale mLocale;
    private String[] mAddressLines = new String[0];
    private String mCountryName;
    private String mCountryCode;
    private String mAdminArea;
    private String mLocality;
    private String mSubLocality;
    private String mThoroughfare;
    private double mLatitude;
    private double mLongitude;

    public Address(Locale locale) {
        mLocale = locale;
    }

    public Locale getLocale() { return mLocale; }
    public int getMaxAddressLineIndex() { return mAddressLines.length - 1; }
    public String getAddressLine(int index) { return index >= 0 && index < mAddressLines.length ? mAddressLines[index] : null; }
    public void setAddressLine(int index, String line) {
        if (index >= mAddressLines.length) mAddressLines = java.util.Arrays.copyOf(mAddressLines, index + 1);
        mAddressLines[index] = line;
    }
    public String getCountryName() { return mCountryName; }
    public void setCountryName(String v) { mCountryName = v; }
    public String getCountryCode() { return mCountryCode; }
    public void setCountryCode(String v) { mCountryCode = v; }
    public String getAdminArea() { return mAdminArea; }
    public void setAdminArea(String v) { mAdminArea = v; }
    public String getLocality() { return mLocality; }
    public void setLocality(String v) { mLocality = v; }
    public String getSubLocality() { return mSubLocality; }
    public void setSubLocality(String v) { mSubLocality = v; }
    public String getThoroughfare() { return mThoroughfare; }
    public void setThoroughfare(String v) { mThoroughfare = v; }
    public double getLatitude() { return mLatitude; }
    public void setLatitude(double v) { mLatitude = v; }
    public double getLongitude() { return mLongitude; }
    public void setLongitude(double v) { mLongitude = v; }

    @Override public String toString() { return "Address[addressLines=[0:\"" + getAddressLine(0) + "\"]]"; }
}
