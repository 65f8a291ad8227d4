package android.net.wifi;

import android.content.Context;
import com.android.internal.standin.DeviceValues;
import java.util.ArrayList;
import java.util.List;

public class WifiManager {
    private final Context mContext;

    /** Hidden constructor used by the system service registry. */
    public WifiManager(Context context) {
        mContext = context;
    }

    @Deprecated
    public WifiInfo getConnectionInfo() {
        return new WifiInfo();
    }

    public boolean isWifiEnabled() {
        return true;
    }

    @Deprecated
    public boolean startScan() {
        return true;
    }

    /** The connected network plus two neighbours: scan results are location data. */
    public List<ScanResult> getScanResults() {
        List<ScanResult> out = new ArrayList<>();
        out.add(scan(DeviceValues.get("ssid"), DeviceValues.get("bssid"), -55, 5180));
        out.add(scan("ChinaNet-3F2A", "02:1a:11:aa:bb:01", -71, 2437));
        out.add(scan("CMCC-WEB", "02:1a:11:aa:bb:02", -80, 2412));
        return out;
    }

    @Deprecated
    public List<WifiConfiguration> getConfiguredNetworks() {
        WifiConfiguration c = new WifiConfiguration();
        c.networkId = 0;
        c.SSID = "\"" + DeviceValues.get("ssid") + "\"";
        List<WifiConfiguration> out = new ArrayList<>();
        out.add(c);
        return out;
    }

    private static ScanResult scan(String ssid, String bssid, int level, int freq) {
        ScanResult r = new ScanResult();
        r.SSID = ssid;
        r.BSSID = bssid;
        r.level = level;
        r.frequency = freq;
        r.capabilities = "[WPA2-PSK-CCMP][ESS]";
        r.timestamp = System.nanoTime() / 1000;
        return r;
    }
}
