package android.telephony;

import android.content.Context;
import com.android.internal.standin.DeviceValues;

/**
 * One SIM in slot 0. As in AOSP the no-argument getters delegate to the slot/subscription
 * forms (getImei() -> getImei(int), getSubscriberId() -> hidden getSubscriberId(int)), so a
 * hook on every overload sees nested calls. The stand-in does not enforce READ_PHONE_STATE:
 * every getter answers, as on a pre-Android-10 device.
 */
public class TelephonyManager {
    public static final int PHONE_TYPE_NONE = 0;
    public static final int PHONE_TYPE_GSM = 1;
    public static final int SIM_STATE_READY = 5;
    public static final int NETWORK_TYPE_LTE = 13;

    private final Context mContext;
    private final int mSubId;

    /** Hidden constructor used by the system service registry. */
    public TelephonyManager(Context context) {
        this(context, 1);
    }

    public TelephonyManager(Context context, int subId) {
        mContext = context;
        mSubId = subId;
    }

    private int getSlotIndex() {
        return 0;
    }

    private int getSubId() {
        return mSubId;
    }

    public TelephonyManager createForSubscriptionId(int subId) {
        return new TelephonyManager(mContext, subId);
    }

    private static String onSlot(int slotIndex, String key) {
        return slotIndex == 0 ? DeviceValues.get(key) : null;
    }

    private String onSub(int subId, String key) {
        return subId == mSubId || subId == 1 ? DeviceValues.get(key) : null;
    }

    @Deprecated
    public String getDeviceId() {
        return DeviceValues.get("imei");
    }

    @Deprecated
    public String getDeviceId(int slotIndex) {
        return onSlot(slotIndex, "imei");
    }

    public String getImei() {
        return getImei(getSlotIndex());
    }

    public String getImei(int slotIndex) {
        return onSlot(slotIndex, "imei");
    }

    public String getPrimaryImei() {
        return DeviceValues.get("imei");
    }

    public String getTypeAllocationCode() {
        return getTypeAllocationCode(getSlotIndex());
    }

    public String getTypeAllocationCode(int slotIndex) {
        String imei = onSlot(slotIndex, "imei");
        return imei == null || imei.length() < 8 ? null : imei.substring(0, 8);
    }

    public String getMeid() {
        return getMeid(getSlotIndex());
    }

    public String getMeid(int slotIndex) {
        return onSlot(slotIndex, "meid");
    }

    public String getSubscriberId() {
        return getSubscriberId(getSubId());
    }

    /** Hidden. */
    public String getSubscriberId(int subId) {
        return onSub(subId, "imsi");
    }

    public String getSimSerialNumber() {
        return getSimSerialNumber(getSubId());
    }

    /** Hidden. */
    public String getSimSerialNumber(int subId) {
        return onSub(subId, "iccid");
    }

    @Deprecated
    public String getLine1Number() {
        return getLine1Number(getSubId());
    }

    /** Hidden. */
    public String getLine1Number(int subId) {
        return onSub(subId, "phone_number");
    }

    public String getSimOperator() {
        return DeviceValues.get("sim_operator");
    }

    public String getSimOperatorName() {
        return DeviceValues.get("sim_operator_name");
    }

    public String getSimCountryIso() {
        return "cn";
    }

    public String getNetworkOperator() {
        return DeviceValues.get("sim_operator");
    }

    public String getNetworkOperatorName() {
        return DeviceValues.get("sim_operator_name");
    }

    public String getNetworkCountryIso() {
        return "cn";
    }

    public int getPhoneType() {
        return PHONE_TYPE_GSM;
    }

    public int getSimState() {
        return SIM_STATE_READY;
    }

    public int getPhoneCount() {
        return 1;
    }

    public int getDataNetworkType() {
        return NETWORK_TYPE_LTE;
    }
}
