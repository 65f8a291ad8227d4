package android.telephony;

public final class CellInfoLte extends CellInfo {
    private final CellIdentityLte mCellIdentity;

    /** Hidden. */
    public CellInfoLte(boolean registered, long timeStampNanos, CellIdentityLte identity) {
        super(registered, timeStampNanos);
        mCellIdentity = identity;
    }

    public CellIdentityLte getCellIdentity() { return mCellIdentity; }

    @Override public String toString() { return "CellInfoLte:{ " + mCellIdentity + " }"; }
}
