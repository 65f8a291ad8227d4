package cn.jpush.android.api;

import android.content.Context;
import android.net.wifi.WifiInfo;
import android.net.wifi.WifiManager;
import android.provider.Settings;
import cn.jpush.android.helper.JReport;
import com.example.demoshop.Scenario;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** Stand-in for JPush's entry point: init() reads identifiers and reports them (steps 4-6). */
public class JPushInterface {
    public static final String SDK_VERSION = "5.0.0";
    static final String REPORT_URL = "https://stats.jpush.cn/v3/report";

    private static volatile String sAndroidId;
    private static boolean sDebug;

    public static void setDebugMode(boolean debug) {
        sDebug = debug;
    }

    public static void init(Context context) {
        Scenario.step(4, "JPushInterface.init reads the Android ID (Settings$Secure.getString(\"android_id\"))");
        String androidId = Settings.Secure.getString(context.getContentResolver(), Settings.Secure.ANDROID_ID);
        Scenario.expect("Settings.Secure.getString(android_id)", "android_id", androidId);
        sAndroidId = androidId;

        Scenario.step(5, "JPushInterface.init reads the Wi-Fi MAC (WifiInfo.getMacAddress)");
        WifiManager wifi = (WifiManager) context.getApplicationContext().getSystemService(Context.WIFI_SERVICE);
        WifiInfo info = wifi.getConnectionInfo();
        String mac = info.getMacAddress();
        Scenario.expect("WifiInfo.getMacAddress()", "mac", mac);

        String aid = Base64.getEncoder().encodeToString(androidId.getBytes(StandardCharsets.UTF_8));
        String form = "aid=" + JReport.formEncode(aid) + "&platform=a&sdk_ver=" + SDK_VERSION;
        if (Scenario.send(6, "POST " + REPORT_URL + " (aid=base64 Android ID)")) {
            try {
                JReport.postForm(REPORT_URL, form);
            } catch (Exception e) {
                Scenario.requestFailed("POST " + REPORT_URL, e);
            }
        }
    }

    /** The Android ID read at init, kept for the push service (JPush caches its device identity). */
    public static String getCachedAndroidId() {
        return sAndroidId;
    }

    public static String getRegistrationID(Context context) {
        return sAndroidId == null ? "" : "1a0018970a" + sAndroidId.substring(0, 6);
    }
}
