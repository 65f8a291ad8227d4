package com.umeng.analytics;

import android.content.Context;
import java.util.Map;

/** Umeng's page and event API; the stand-in app does not call it in the 14-step scenario. */
public class MobclickAgent {
    private static int sEvents;

    public static void onResume(Context context) {}

    public static void onPause(Context context) {}

    public static void onEvent(Context context, String eventId) {
        sEvents++;
    }

    public static void onEventObject(Context context, String eventId, Map<String, Object> map) {
        sEvents++;
    }

    public static void onKillProcess(Context context) {}
}
