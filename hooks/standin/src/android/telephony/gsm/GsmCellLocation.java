package android.telephony.gsm;

import android.telephony.CellLocation;

public class GsmCellLocation extends CellLocation {
    private int mLac = -1;
    private int mCid = -1;

    public GsmCellLocation() {}

    public void setLacAndCid(int lac, int cid) {
        mLac = lac;
        mCid = cid;
    }

    public int getLac() { return mLac; }

    public int getCid() { return mCid; }

    public int getPsc() { return -1; }

    @Override public String toString() { return "[" + mLac + "," + mCid + ",-1]"; }
}
