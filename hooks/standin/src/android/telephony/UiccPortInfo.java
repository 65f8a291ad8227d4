package android.telephony;

import com.android.internal.standin.DeviceValues;

/** A port of a UICC card (API 33). The ICCID is the device's, read when asked, as TelephonyManager's getters do. */
public final class UiccPortInfo {
    private final int mPortIndex;
    private final int mLogicalSlotIndex;
    private final boolean mIsActive;

    /** Hidden constructor; the stand-in's port has no ICCID of its own, it answers the device's. */
    public UiccPortInfo(int portIndex, int logicalSlotIndex, boolean isActive) {
        mPortIndex = portIndex;
        mLogicalSlotIndex = logicalSlotIndex;
        mIsActive = isActive;
    }

    public String getIccId() {
        return mIsActive && mLogicalSlotIndex == 0 ? DeviceValues.get("iccid") : null;
    }

    public int getPortIndex() {
        return mPortIndex;
    }

    public int getLogicalSlotIndex() {
        return mLogicalSlotIndex;
    }

    public boolean isActive() {
        return mIsActive;
    }
}
