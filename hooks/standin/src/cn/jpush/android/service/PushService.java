package cn.jpush.android.service;

import android.app.Service;
import android.content.ClipData;
import android.content.ClipboardManager;
import android.content.Context;
import android.content.Intent;
import android.os.IBinder;
import cn.jpush.android.api.JPushInterface;
import cn.jpush.android.helper.JReport;
import com.example.demoshop.Scenario;

/**
 * JPush's service: on start it peeks at the clipboard and sends a plain-HTTP heartbeat with
 * the Android ID it cached at init (steps 13-14; 12-13 after a refusal, 9-10 with the
 * privacy prompt unanswered: the service ignores the user's answer).
 */
public class PushService extends Service {
    static final String HEARTBEAT_URL = "http://stats.jpush.cn/v3/hb";

    @Override
    public int onStartCommand(Intent intent, int flags, int startId) {
        int step = Scenario.pushStep();
        Scenario.step(step, "PushService reads the clipboard (ClipboardManager.getPrimaryClip)");
        ClipboardManager cm = (ClipboardManager) getSystemService(Context.CLIPBOARD_SERVICE);
        ClipData clip = cm.getPrimaryClip();
        CharSequence text = clip != null && clip.getItemCount() > 0 ? clip.getItemAt(0).getText() : null;
        Scenario.expect("ClipboardManager.getPrimaryClip()", "clipboard", text == null ? null : text.toString());

        String aid = JPushInterface.getCachedAndroidId();
        String url = HEARTBEAT_URL + "?aid=" + JReport.formEncode(aid) + "&t=" + System.currentTimeMillis();
        if (Scenario.send(step + 1, "GET " + url)) {
            try {
                JReport.get(url);
            } catch (Exception e) {
                Scenario.requestFailed("GET " + HEARTBEAT_URL, e);
            }
        }
        return START_STICKY;
    }

    @Override
    public IBinder onBind(Intent intent) {
        return null;
    }
}
