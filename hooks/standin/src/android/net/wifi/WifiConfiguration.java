package android.net.wifi;

@Deprecated
public class WifiConfiguration {
    public int networkId;
    public String SSID;
    public String BSSID;

    public WifiConfiguration() {}
}
