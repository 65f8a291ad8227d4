package android.telephony;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * A UICC card (API 29). As in AOSP (API 33+) getIccId() answers with the first port's
 * ICCID; AOSP throws for apps targeting API 33 instead, the stand-in answers, as it does
 * every permission-gated getter.
 */
public final class UiccCardInfo {
    private final boolean mIsEuicc;
    private final int mCardId;
    private final String mEid;
    private final int mPhysicalSlotIndex;
    private final boolean mIsRemovable;
    private final boolean mIsMultipleEnabledProfilesSupported;
    private final List<UiccPortInfo> mPortList;

    /** Hidden constructor. */
    public UiccCardInfo(boolean isEuicc, int cardId, String eid, int physicalSlotIndex, boolean isRemovable,
                        boolean isMultipleEnabledProfilesSupported, List<UiccPortInfo> portList) {
        mIsEuicc = isEuicc;
        mCardId = cardId;
        mEid = eid;
        mPhysicalSlotIndex = physicalSlotIndex;
        mIsRemovable = isRemovable;
        mIsMultipleEnabledProfilesSupported = isMultipleEnabledProfilesSupported;
        mPortList = new ArrayList<>(portList);
    }

    public boolean isEuicc() {
        return mIsEuicc;
    }

    public int getCardId() {
        return mCardId;
    }

    public String getEid() {
        return mIsEuicc ? mEid : null;
    }

    @Deprecated
    public String getIccId() {
        return mPortList.isEmpty() ? null : mPortList.get(0).getIccId();
    }

    @Deprecated
    public int getSlotIndex() {
        return mPhysicalSlotIndex;
    }

    public int getPhysicalSlotIndex() {
        return mPhysicalSlotIndex;
    }

    public boolean isRemovable() {
        return mIsRemovable;
    }

    public boolean isMultipleEnabledProfilesSupported() {
        return mIsMultipleEnabledProfilesSupported;
    }

    public Collection<UiccPortInfo> getPorts() {
        return new ArrayList<>(mPortList);
    }
}
