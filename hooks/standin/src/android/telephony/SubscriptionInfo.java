package android.telephony;

import com.android.internal.standin.DeviceValues;

public class SubscriptionInfo {
    private final int mId;
    private final int mSimSlotIndex;

    SubscriptionInfo(int id, int simSlotIndex) {
        mId = id;
        mSimSlotIndex = simSlotIndex;
    }

    public int getSubscriptionId() { return mId; }
    public int getSimSlotIndex() { return mSimSlotIndex; }

    /** Empty for apps without carrier privileges since API 29; the stand-in answers anyway. */
    public String getIccId() { return DeviceValues.get("iccid"); }

    @Deprecated
    public String getNumber() { return DeviceValues.get("phone_number"); }

    public CharSequence getCarrierName() { return DeviceValues.get("sim_operator_name"); }
    public CharSequence getDisplayName() { return DeviceValues.get("sim_operator_name"); }
    public String getCountryIso() { return "cn"; }

    public String getMccString() {
        String op = DeviceValues.get("sim_operator");
        return op != null && op.length() >= 3 ? op.substring(0, 3) : null;
    }

    public String getMncString() {
        String op = DeviceValues.get("sim_operator");
        return op != null && op.length() > 3 ? op.substring(3) : null;
    }

    @Override public String toString() { return "{id=" + mId + " simSlotIndex=" + mSimSlotIndex + "}"; }
}
