package android.telephony;

public class ServiceState {
    public static final int STATE_IN_SERVICE = 0;

    private final String mOperatorNumeric;
    private final String mOperatorAlphaLong;

    public ServiceState() {
        this(null, null);
    }

    /** Hidden. */
    public ServiceState(String operatorNumeric, String operatorAlphaLong) {
        mOperatorNumeric = operatorNumeric;
        mOperatorAlphaLong = operatorAlphaLong;
    }

    public int getState() { return STATE_IN_SERVICE; }
    public String getOperatorNumeric() { return mOperatorNumeric; }
    public String getOperatorAlphaLong() { return mOperatorAlphaLong; }
    public boolean getRoaming() { return false; }
}
