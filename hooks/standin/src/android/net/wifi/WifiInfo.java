package android.net.wifi;

import com.android.internal.standin.DeviceValues;

/**
 * Returns the device profile's MAC (a real device has answered 02:00:00:00:00:00 since
 * API 23; the stand-in answers the profile value so a send of it is detectable).
 */
public class WifiInfo {
    public static final String DEFAULT_MAC_ADDRESS = "02:00:00:00:00:00";

    WifiInfo() {}

    public String getMacAddress() {
        return DeviceValues.get("mac");
    }

    public String getSSID() {
        return "\"" + DeviceValues.get("ssid") + "\"";
    }

    public String getBSSID() {
        return DeviceValues.get("bssid");
    }

    /** 192.168.1.23 in little-endian int form, as Android reports it. */
    public int getIpAddress() {
        return (23 << 24) | (1 << 16) | (168 << 8) | 192;
    }

    public int getRssi() {
        return -55;
    }

    public int getLinkSpeed() {
        return 433;
    }

    public int getFrequency() {
        return 5180;
    }

    public int getNetworkId() {
        return 0;
    }

    @Override
    public String toString() {
        return "SSID: " + getSSID() + ", BSSID: " + getBSSID() + ", MAC: " + getMacAddress();
    }
}
