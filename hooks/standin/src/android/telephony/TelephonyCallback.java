package android.telephony;

import java.util.List;

public class TelephonyCallback {
    public TelephonyCallback() {}

    public interface CellInfoListener {
        void onCellInfoChanged(List<CellInfo> cellInfo);
    }

    public interface ServiceStateListener {
        void onServiceStateChanged(ServiceState serviceState);
    }
}
