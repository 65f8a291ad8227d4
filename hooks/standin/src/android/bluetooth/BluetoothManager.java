package android.bluetooth;

import android.content.Context;

public final class BluetoothManager {
    private final Context mContext;

    /** Hidden constructor used by the system service registry. */
    public BluetoothManager(Context context) {
        mContext = context;
    }

    public BluetoothAdapter getAdapter() {
        return BluetoothAdapter.getDefaultAdapter();
    }
}
