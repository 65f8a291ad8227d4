package android.os;

import com.android.internal.standin.DeviceValues;

public class Build {
    public static final String UNKNOWN = "unknown";
    public static final String MODEL = DeviceValues.get("device.model");
    public static final String MANUFACTURER = DeviceValues.get("device.manufacturer");
    public static final String BRAND = DeviceValues.get("device.manufacturer");
    public static final String DEVICE = "standin";
    public static final String PRODUCT = "standin";
    public static final String HARDWARE = "standin";
    public static final String BOARD = "standin";
    public static final String FINGERPRINT = "piiaudit/standin/standin:14/UP1A.231005.007/1:user/release-keys";
    /** Apps targeting 26+ see "unknown" here; the real serial needs {@link #getSerial()}. */
    @Deprecated
    public static final String SERIAL = UNKNOWN;

    public Build() {}

    /** Requires READ_PRIVILEGED_PHONE_STATE on a real device since API 29. */
    public static String getSerial() {
        return DeviceValues.get("serial");
    }

    public static class VERSION {
        public static final int SDK_INT = Integer.parseInt("34");
        public static final String RELEASE = "14";
        public static final String CODENAME = "REL";
        public static final String INCREMENTAL = "1";

        public VERSION() {}
    }

    public static class VERSION_CODES {
        public static final int M = 23;
        public static final int O = 26;
        public static final int P = 28;
        public static final int Q = 29;
        public static final int R = 30;
        public static final int S = 31;
        public static final int TIRAMISU = 33;
        public static final int UPSIDE_DOWN_CAKE = 34;

        public VERSION_CODES() {}
    }
}
