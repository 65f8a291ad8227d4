package android.telephony;

@Deprecated
public class PhoneStateListener {
    public static final int LISTEN_NONE = 0;
    public static final int LISTEN_SERVICE_STATE = 0x00000001;
    public static final int LISTEN_CELL_LOCATION = 0x00000010;
    public static final int LISTEN_CALL_STATE = 0x00000020;
    public static final int LISTEN_CELL_INFO = 0x00000400;

    public PhoneStateListener() {}

    public void onServiceStateChanged(ServiceState serviceState) {}

    public void onCellLocationChanged(CellLocation location) {}

    public void onCallStateChanged(int state, String phoneNumber) {}

    public void onCellInfoChanged(java.util.List<CellInfo> cellInfo) {}
}
