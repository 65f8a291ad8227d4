package com.igexin.sdk;

import android.app.ActivityManager;
import android.app.usage.UsageEvents;
import android.app.usage.UsageStats;
import android.app.usage.UsageStatsManager;
import android.content.ComponentName;
import android.content.Context;
import android.content.Intent;
import android.provider.Settings;
import android.telephony.TelephonyManager;
import android.telephony.UiccCardInfo;
import com.example.demoshop.net.Http;
import com.example.demoshop.net.Json;
import com.example.demoshop.tour.Tour;
import com.igexin.push.util.EncryptUtils;
import java.util.ArrayList;
import java.util.List;

/**
 * Getui push (个推): registers the device at start with an AES-encrypted payload holding the
 * IMEI and Android ID (tour steps 2-5), later reads SIM identifiers and running apps (29-31),
 * wakes a partner app's service (44), and back in the foreground reads the ICCID from the UICC
 * card list and the apps' usage (52-53).
 */
public final class PushManager {
    public static final String APP_ID = "GtDemoShopApp01";
    public static final String REGISTER_URL = "https://sdk-open-phone.getui.com/api.php";
    static final String USER_AGENT = "GETUI-SDK/3.3.7.0 (Android 14)";
    private static final PushManager INSTANCE = new PushManager();
    private static final long DAY_MS = 24 * 3_600_000L;

    private PushManager() {}

    public static PushManager getInstance() {
        return INSTANCE;
    }

    public void initialize(Context context) {
        TelephonyManager tm = (TelephonyManager) context.getSystemService(Context.TELEPHONY_SERVICE);
        Tour.step(2, "Getui PushManager.initialize reads the IMEI (TelephonyManager.getImei)");
        String imei = Tour.expect("TelephonyManager.getImei()", "imei", tm.getImei());
        Tour.step(3, "Getui reads the Android ID (Settings$Secure.getString android_id)");
        String androidId = Tour.expect("Settings$Secure.getString(android_id)", "android_id",
                Settings.Secure.getString(context.getContentResolver(), Settings.Secure.ANDROID_ID));
        Tour.step(4, "Getui encrypts {imei, android_id} with AES/CBC/PKCS5Padding (Cipher.doFinal) and Base64-encodes it (android.util.Base64)");
        String payload = "{\"appid\":" + Json.q(APP_ID) + ",\"imei\":" + Json.q(imei) + ",\"android_id\":" + Json.q(androidId)
                + ",\"os\":\"android\",\"sdk_ver\":\"3.3.7.0\"}";
        String data;
        try {
            data = EncryptUtils.encryptToBase64(payload);
        } catch (Exception e) {
            Tour.fail(Tour.EXIT_SCRIPT, "step 4: AES encryption failed: " + e);
            return;
        }
        if (Tour.send(5, "Getui POSTs the ciphertext to " + REGISTER_URL)) {
            String body = "{\"action\":\"register\",\"appid\":" + Json.q(APP_ID) + ",\"data\":" + Json.q(data) + "}";
            try {
                Http.post(REGISTER_URL, "application/json; charset=utf-8", body, "User-Agent", USER_AGENT);
            } catch (Exception e) {
                Tour.requestFailed("POST " + REGISTER_URL, e);
            }
        }
    }

    /** After consent: SIM identifiers and the running apps for its "device profile". */
    public void collectDeviceProfile(Context context) {
        TelephonyManager tm = (TelephonyManager) context.getSystemService(Context.TELEPHONY_SERVICE);
        Tour.step(29, "Getui reads the IMSI (TelephonyManager.getSubscriberId)");
        Tour.expect("TelephonyManager.getSubscriberId()", "imsi", tm.getSubscriberId());
        Tour.step(30, "Getui reads the ICCID (TelephonyManager.getSimSerialNumber)");
        Tour.expect("TelephonyManager.getSimSerialNumber()", "iccid", tm.getSimSerialNumber());
        Tour.step(31, "Getui lists the running apps (ActivityManager.getRunningAppProcesses)");
        ActivityManager am = (ActivityManager) context.getSystemService(Context.ACTIVITY_SERVICE);
        List<ActivityManager.RunningAppProcessInfo> running = am.getRunningAppProcesses();
        Tour.check(running != null && !running.isEmpty(), "getRunningAppProcesses returned nothing");
    }

    /** The ICCID once more, the newer way: from the UICC card list (step 52). */
    public void readSimCards(Context context) {
        Tour.step(52, "Getui reads the ICCID from the UICC cards (TelephonyManager.getUiccCardsInfo, UiccCardInfo.getIccId -> UiccPortInfo.getIccId)");
        TelephonyManager tm = (TelephonyManager) context.getSystemService(Context.TELEPHONY_SERVICE);
        List<UiccCardInfo> cards = tm.getUiccCardsInfo();
        Tour.check(cards != null && !cards.isEmpty(), "getUiccCardsInfo returned no card");
        Tour.expect("UiccCardInfo.getIccId()", "iccid", cards.get(0).getIccId());
    }

    /** Which apps the user opened over the last day, and when (step 53). */
    public void collectAppUsage(Context context) {
        Tour.step(53, "Getui reads the last day's app usage (UsageStatsManager.queryUsageStats, UsageStatsManager.queryEvents)");
        UsageStatsManager usm = (UsageStatsManager) context.getSystemService(Context.USAGE_STATS_SERVICE);
        long now = System.currentTimeMillis();
        List<String> used = new ArrayList<>();
        for (UsageStats s : usm.queryUsageStats(UsageStatsManager.INTERVAL_DAILY, now - DAY_MS, now)) used.add(s.getPackageName());
        Tour.expectContainsAll("UsageStatsManager.queryUsageStats", "installed_apps", used);
        UsageEvents events = usm.queryEvents(now - DAY_MS, now);
        UsageEvents.Event event = new UsageEvents.Event();
        int count = 0;
        while (events.getNextEvent(event)) count++;
        Tour.check(count == 2 * used.size(), "queryEvents gave " + count + " events for " + used.size() + " apps used");
    }

    /** 关联启动: starts another app's exported service to keep the push channel alive. */
    public void wakeUpPartners(Context context) {
        Tour.step(44, "Getui starts another app's service com.example.partner/.SyncService (ContextImpl.startService)");
        Intent wake = new Intent("com.igexin.sdk.action.service.message")
                .setComponent(new ComponentName("com.example.partner", "com.example.partner.SyncService"));
        ComponentName started = context.startService(wake);
        Tour.check(started != null, "the partner service did not start");
    }
}
