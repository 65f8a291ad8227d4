package android.provider;

import android.content.ContentResolver;
import android.os.Build;
import android.util.Log;
import com.android.internal.standin.DeviceValues;

public final class Settings {
    private static final String TAG = "Settings";

    private Settings() {}

    public static class NameValueTable {
        public static final String NAME = "name";
        public static final String VALUE = "value";

        public NameValueTable() {}
    }

    public static final class Secure extends NameValueTable {
        public static final String ANDROID_ID = "android_id";
        public static final String DEFAULT_INPUT_METHOD = "default_input_method";
        public static final String LOCATION_MODE = "location_mode";
        /** Hidden. */
        public static final String BLUETOOTH_ADDRESS = "bluetooth_address";
        /** Hidden. */
        public static final String BLUETOOTH_NAME = "bluetooth_name";

        public Secure() {}

        public static String getString(ContentResolver resolver, String name) {
            return getStringForUser(resolver, name, resolver.getUserId());
        }

        /** Hidden. */
        public static String getStringForUser(ContentResolver resolver, String name, int userHandle) {
            if (name == null) return null;
            switch (name) {
                case ANDROID_ID: return DeviceValues.get("android_id");
                case BLUETOOTH_ADDRESS: return DeviceValues.get("bluetooth_mac");
                case BLUETOOTH_NAME: return Build.MODEL;
                case DEFAULT_INPUT_METHOD: return "com.android.inputmethod.latin/.LatinIME";
                case LOCATION_MODE: return "3";
                default: return null;
            }
        }

        public static int getInt(ContentResolver cr, String name, int def) {
            String v = getString(cr, name);
            try {
                return v != null ? Integer.parseInt(v) : def;
            } catch (NumberFormatException e) {
                return def;
            }
        }
    }

    public static final class System extends NameValueTable {
        public static final String SCREEN_BRIGHTNESS = "screen_brightness";
        public static final String TIME_12_24 = "time_12_24";
        public static final String FONT_SCALE = "font_scale";
        /** Moved to Secure in API 3; reads are redirected there, as on a device. */
        @Deprecated
        public static final String ANDROID_ID = Secure.ANDROID_ID;

        public System() {}

        public static String getString(ContentResolver resolver, String name) {
            return getStringForUser(resolver, name, resolver.getUserId());
        }

        /** Hidden. */
        public static String getStringForUser(ContentResolver resolver, String name, int userHandle) {
            if (Secure.ANDROID_ID.equals(name) || Secure.BLUETOOTH_ADDRESS.equals(name)) {
                Log.w(TAG, "Setting " + name + " has moved from android.provider.Settings.System to android.provider.Settings.Secure, returning read-only value.");
                return Secure.getStringForUser(resolver, name, userHandle);
            }
            if (name == null) return null;
            switch (name) {
                case SCREEN_BRIGHTNESS: return "102";
                case TIME_12_24: return "24";
                case FONT_SCALE: return "1.0";
                default: return null;
            }
        }
    }

    public static final class Global extends NameValueTable {
        public static final String ADB_ENABLED = "adb_enabled";
        public static final String AIRPLANE_MODE_ON = "airplane_mode_on";
        public static final String DEVICE_NAME = "device_name";
        public static final String DEVELOPMENT_SETTINGS_ENABLED = "development_settings_enabled";

        public Global() {}

        public static String getString(ContentResolver resolver, String name) {
            if (name == null) return null;
            switch (name) {
                case ADB_ENABLED:
                case AIRPLANE_MODE_ON:
                case DEVELOPMENT_SETTINGS_ENABLED:
                    return "0";
                case DEVICE_NAME: return Build.MODEL;
                default: return null;
            }
        }
    }
}
