package com.android.internal.standin;

import android.accounts.AccountManager;
import android.app.ActivityManager;
import android.app.admin.DevicePolicyManager;
import android.app.usage.UsageStatsManager;
import android.bluetooth.BluetoothManager;
import android.content.ComponentName;
import android.content.Context;
import android.hardware.SystemSensorManager;
import android.hardware.camera2.CameraManager;
import android.os.Handler;
import android.os.Looper;
import android.telephony.SubscriptionManager;

/** System services beyond the scenario's; null for services the stand-in does not have. */
public final class SystemServices {
    private SystemServices() {}

    /** Exported services of other apps installed on the stand-in device (a partner app's sync service). */
    private static final java.util.Set<String> OTHER_APPS_EXPORTED_SERVICES = java.util.Set.of("com.example.partner/com.example.partner.SyncService");

    public static boolean isExportedServiceOfOtherApp(ComponentName cn) {
        return OTHER_APPS_EXPORTED_SERVICES.contains(cn.flattenToString());
    }

    public static Object create(String name, Context context) {
        switch (name) {
            case Context.ACTIVITY_SERVICE: return new ActivityManager(context, new Handler(context.getMainLooper()));
            case Context.ACCOUNT_SERVICE: return new AccountManager(context);
            case Context.BLUETOOTH_SERVICE: return new BluetoothManager(context);
            case Context.CAMERA_SERVICE: return new CameraManager(context);
            case Context.DEVICE_POLICY_SERVICE: return new DevicePolicyManager(context);
            case Context.SENSOR_SERVICE: return new SystemSensorManager(context, Looper.getMainLooper());
            case Context.TELEPHONY_SUBSCRIPTION_SERVICE: return new SubscriptionManager(context);
            case Context.USAGE_STATS_SERVICE: return new UsageStatsManager(context);
            default: return null;
        }
    }
}
