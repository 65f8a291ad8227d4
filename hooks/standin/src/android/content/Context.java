package android.content;

import android.content.pm.PackageManager;
import android.os.Bundle;
import android.os.Looper;
import java.util.concurrent.Executor;

public abstract class Context {
    public static final int MODE_PRIVATE = 0x0000;
    public static final int BIND_AUTO_CREATE = 0x0001;

    public static final String ACTIVITY_SERVICE = "activity";
    public static final String ACCOUNT_SERVICE = "account";
    public static final String AUDIO_SERVICE = "audio";
    public static final String BLUETOOTH_SERVICE = "bluetooth";
    public static final String CAMERA_SERVICE = "camera";
    public static final String CLIPBOARD_SERVICE = "clipboard";
    public static final String CONNECTIVITY_SERVICE = "connectivity";
    public static final String DEVICE_POLICY_SERVICE = "device_policy";
    public static final String LOCATION_SERVICE = "location";
    public static final String SENSOR_SERVICE = "sensor";
    public static final String TELEPHONY_SERVICE = "phone";
    public static final String TELEPHONY_SUBSCRIPTION_SERVICE = "telephony_subscription_service";
    public static final String USAGE_STATS_SERVICE = "usagestats";
    public static final String WIFI_SERVICE = "wifi";
    public static final String WINDOW_SERVICE = "window";

    public Context() {}

    public abstract Object getSystemService(String name);

    public abstract ContentResolver getContentResolver();

    public abstract android.content.res.Resources getResources();

    public final CharSequence getText(int resId) {
        return getResources().getText(resId);
    }

    public abstract PackageManager getPackageManager();

    public abstract SharedPreferences getSharedPreferences(String name, int mode);

    public abstract String getPackageName();

    public abstract Context getApplicationContext();

    public abstract Looper getMainLooper();

    public abstract int checkPermission(String permission, int pid, int uid);

    public abstract int checkSelfPermission(String permission);

    public abstract void startActivity(Intent intent);

    public abstract void startActivity(Intent intent, Bundle options);

    public abstract ComponentName startService(Intent service);

    public abstract boolean stopService(Intent service);

    public abstract boolean bindService(Intent service, ServiceConnection conn, int flags);

    // As in AOSP the newer bindService forms are concrete here and only ContextImpl (and the
    // wrappers) implement them.
    public boolean bindService(Intent service, int flags, Executor executor, ServiceConnection conn) {
        throw new RuntimeException("Not implemented. Must override in a subclass.");
    }

    public boolean bindService(Intent service, ServiceConnection conn, BindServiceFlags flags) {
        throw new RuntimeException("Not implemented. Must override in a subclass.");
    }

    public boolean bindService(Intent service, BindServiceFlags flags, Executor executor, ServiceConnection conn) {
        throw new RuntimeException("Not implemented. Must override in a subclass.");
    }

    public abstract void unbindService(ServiceConnection conn);

    public abstract void sendBroadcast(Intent intent);

    public abstract void sendBroadcast(Intent intent, String receiverPermission);

    public void sendBroadcast(Intent intent, String receiverPermission, Bundle options) {
        throw new RuntimeException("Not implemented. Must override in a subclass.");
    }

    /** API 34: bindService flags as a long. */
    public static final class BindServiceFlags {
        private final long mValue;

        private BindServiceFlags(long value) {
            mValue = value;
        }

        public long getValue() {
            return mValue;
        }

        public static BindServiceFlags of(long value) {
            return new BindServiceFlags(value);
        }
    }
}
