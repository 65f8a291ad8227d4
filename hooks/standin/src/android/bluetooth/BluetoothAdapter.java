package android.bluetooth;

import android.os.Build;
import com.android.internal.standin.DeviceValues;
import java.util.LinkedHashSet;
import java.util.Set;

/** getAddress() answers the device profile's bluetooth_mac (a real device has answered 02:00:00:00:00:00 since API 23). */
public final class BluetoothAdapter {
    public static final int STATE_ON = 12;
    private static BluetoothAdapter sAdapter;

    private BluetoothAdapter() {}

    @Deprecated
    public static synchronized BluetoothAdapter getDefaultAdapter() {
        if (sAdapter == null) sAdapter = new BluetoothAdapter();
        return sAdapter;
    }

    public String getAddress() {
        return DeviceValues.get("bluetooth_mac");
    }

    public String getName() {
        return Build.MODEL;
    }

    public boolean isEnabled() {
        return true;
    }

    public int getState() {
        return STATE_ON;
    }

    public Set<BluetoothDevice> getBondedDevices() {
        Set<BluetoothDevice> out = new LinkedHashSet<>();
        out.add(new BluetoothDevice("7c:96:d2:11:22:33", "AirPods Pro"));
        out.add(new BluetoothDevice("a4:c1:38:44:55:66", "Mi Band 7"));
        return out;
    }
}
