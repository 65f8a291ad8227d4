package cn.jpush.android.service;

import android.app.Service;
import android.content.Intent;
import android.os.IBinder;
import android.provider.Settings;
import com.example.demoshop.net.Http;
import com.example.demoshop.tour.Tour;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * JPush's service in the app's ":push" process (tour steps 49-50): reads the Android ID and
 * reports it, Base64-encoded in a form, to stats.jpush.cn.
 */
public class JCommonService extends Service {
    public static final String REPORT_URL = "https://stats.jpush.cn/v3/report";

    public JCommonService() {}

    @Override
    public int onStartCommand(Intent intent, int flags, int startId) {
        Tour.step(49, "JPush JCommonService (process :push) reads the Android ID (Settings$Secure.getString android_id)");
        String aid = Tour.expect("Settings$Secure.getString(android_id)", "android_id",
                Settings.Secure.getString(getContentResolver(), Settings.Secure.ANDROID_ID));
        if (Tour.send(50, "JPush (process :push) POSTs the Android ID to " + REPORT_URL)) {
            String b64 = new String(Base64.getEncoder().encode(aid.getBytes(StandardCharsets.UTF_8)), StandardCharsets.US_ASCII);
            String body = "aid=" + b64.replace("=", "%3D") + "&platform=a&process=push&sdk_ver=5.0.0";
            try {
                Http.post(REPORT_URL, "application/x-www-form-urlencoded", body, "User-Agent", "JPush/5.0.0 (Android 14)");
            } catch (Exception e) {
                Tour.requestFailed("POST " + REPORT_URL, e);
            }
        }
        stopSelf();
        return START_NOT_STICKY;
    }

    @Override
    public IBinder onBind(Intent intent) {
        return null;
    }
}
