package com.umeng.commonsdk;

import android.content.Context;
import android.content.pm.PackageInfo;
import android.content.pm.PackageManager;
import android.os.Build;
import android.provider.Settings;
import android.telephony.TelephonyManager;
import com.example.demoshop.Scenario;
import com.umeng.commonsdk.statistics.UMLogUploader;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;

/**
 * Stand-in for Umeng's entry point. init() collects identifiers and uploads them at once,
 * which is what the audit must catch when the app calls it before consent (steps 1-3).
 */
public class UMConfigure {
    public static final int DEVICE_TYPE_PHONE = 1;
    public static final int DEVICE_TYPE_BOX = 2;
    public static final String SDK_VERSION = "9.6.8";
    static final String LOG_URL = "https://ulogs.umeng.com/unify_logs";

    private static boolean sInitialized;
    private static String sAppkey;
    private static String sChannel;

    public static void preInit(Context context, String appkey, String channel) {
        sAppkey = appkey;
        sChannel = channel;
    }

    public static void init(Context context, String appkey, String channel, int deviceType, String pushSecret) {
        sAppkey = appkey;
        sChannel = channel;

        Scenario.step(1, "UMConfigure.init reads the IMEI (TelephonyManager.getImei)");
        TelephonyManager tm = (TelephonyManager) context.getSystemService(Context.TELEPHONY_SERVICE);
        String imei = tm.getImei();
        Scenario.expect("TelephonyManager.getImei()", "imei", imei);

        Scenario.step(2, "UMConfigure.init reads the installed packages (ApplicationPackageManager.getInstalledPackages)");
        List<PackageInfo> installed = context.getPackageManager().getInstalledPackages(0);
        List<String> names = new ArrayList<>();
        for (PackageInfo p : installed) names.add(p.packageName);
        Scenario.expectContainsAll("PackageManager.getInstalledPackages(int)", "installed_apps", names);

        String body = logEnvelope(context, appkey, channel, md5Hex(imei));
        if (Scenario.send(3, "POST " + LOG_URL + " (imei_md5)")) {
            try {
                UMLogUploader.post(LOG_URL, body.getBytes(StandardCharsets.UTF_8));
            } catch (Exception e) {
                Scenario.requestFailed("POST " + LOG_URL, e);
            }
        }
        sInitialized = true;
    }

    /**
     * The app reports the user's answer to its privacy prompt (Umeng's compliance API). This
     * stand-in does what the audit must catch after a refusal: with {@code granted} false it
     * still reads the Android ID and uploads it with the answer (steps 9-10 of the decline path).
     */
    public static void submitPolicyGrantResult(Context context, boolean granted) {
        if (granted) return;
        Scenario.step(9, "UMConfigure.submitPolicyGrantResult(false) reads the Android ID (Settings$Secure.getString(\"android_id\"))");
        String androidId = Settings.Secure.getString(context.getContentResolver(), Settings.Secure.ANDROID_ID);
        Scenario.expect("Settings.Secure.getString(android_id)", "android_id", androidId);

        String body = "{\"header\":{\"appkey\":\"" + sAppkey + "\",\"sdk_version\":\"" + SDK_VERSION
                + "\",\"android_id\":\"" + androidId + "\"},\"policy\":{\"grant\":false}}";
        if (Scenario.send(10, "POST " + LOG_URL + " (policy grant false, android_id)")) {
            try {
                UMLogUploader.post(LOG_URL, body.getBytes(StandardCharsets.UTF_8));
            } catch (Exception e) {
                Scenario.requestFailed("POST " + LOG_URL, e);
            }
        }
    }

    public static boolean isInit() {
        return sInitialized;
    }

    public static void setLogEnabled(boolean enabled) {}

    static String logEnvelope(Context context, String appkey, String channel, String imeiMd5) {
        StringBuilder b = new StringBuilder(256);
        b.append("{\"header\":{");
        field(b, "appkey", appkey).append(',');
        field(b, "channel", channel).append(',');
        field(b, "package_name", context.getPackageName()).append(',');
        field(b, "app_version", "1.0.0").append(',');
        field(b, "sdk_type", "Android").append(',');
        field(b, "sdk_version", SDK_VERSION).append(',');
        field(b, "os", "Android").append(',');
        field(b, "os_version", Build.VERSION.RELEASE).append(',');
        field(b, "device_model", Build.MODEL).append(',');
        field(b, "imei_md5", imeiMd5);
        b.append("},\"analytics\":{\"launches\":[{\"type\":\"cold\"}],\"ekv\":[]}}");
        return b.toString();
    }

    private static StringBuilder field(StringBuilder b, String name, String value) {
        b.append('"').append(name).append("\":\"");
        for (char c : String.valueOf(value).toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"');
    }

    static String md5Hex(String s) {
        try {
            byte[] d = MessageDigest.getInstance("MD5").digest(String.valueOf(s).getBytes(StandardCharsets.UTF_8));
            StringBuilder hex = new StringBuilder(32);
            for (byte x : d) hex.append(String.format("%02x", x));
            return hex.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
