package android.net.wifi;

public class ScanResult {
    public String SSID;
    public String BSSID;
    public String capabilities;
    public int level;
    public int frequency;
    public long timestamp;

    public ScanResult() {}

    @Override public String toString() { return "SSID: " + SSID + ", BSSID: " + BSSID + ", level: " + level; }
}
