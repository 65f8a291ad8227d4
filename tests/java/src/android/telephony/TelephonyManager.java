package android.telephony;

/** The fixture's TelephonyManager: Android's signatures, a fixed IMEI. */
public class TelephonyManager {
    public static final String FIXTURE_IMEI = "867530912345673";

    public String getImei() {
        return getImei(0);
    }

    public String getImei(int slotIndex) {
        return FIXTURE_IMEI;
    }

    public String getDeviceId() {
        return FIXTURE_IMEI;
    }
}
