package android.telephony;

public final class CellIdentityLte {
    private final int mCi;
    private final int mPci;
    private final int mTac;
    private final String mMcc;
    private final String mMnc;

    /** Hidden. */
    public CellIdentityLte(int ci, int pci, int tac, String mcc, String mnc) {
        mCi = ci;
        mPci = pci;
        mTac = tac;
        mMcc = mcc;
        mMnc = mnc;
    }

    public int getCi() { return mCi; }
    public int getPci() { return mPci; }
    public int getTac() { return mTac; }
    public String getMccString() { return mMcc; }
    public String getMncString() { return mMnc; }

    @Override public String toString() { return "CellIdentityLte:{ mCi=" + mCi + " mTac=" + mTac + " mMcc=" + mMcc + " mMnc=" + mMnc + " }"; }
}
