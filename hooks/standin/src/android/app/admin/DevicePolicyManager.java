package android.app.admin;

import android.content.ComponentName;
import android.content.Context;
import com.android.internal.standin.DeviceValues;

/**
 * Only what identifies the device. On Android getWifiMacAddress() throws SecurityException
 * unless the caller is the device owner; the stand-in answers the device profile's MAC, as
 * WifiInfo.getMacAddress() does, so a caller that tries it is recorded with a real value.
 */
public class DevicePolicyManager {
    private final Context mContext;

    /** Hidden constructor used by the system service registry. */
    public DevicePolicyManager(Context context) {
        mContext = context;
    }

    public String getWifiMacAddress(ComponentName admin) {
        if (admin == null) throw new NullPointerException("admin is null");
        return DeviceValues.get("mac");
    }
}
