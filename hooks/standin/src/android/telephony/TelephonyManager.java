package android.telephony;

import android.content.Context;
import android.telephony.gsm.GsmCellLocation;
import com.android.internal.standin.DeviceValues;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;

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
    public static final int INCLUDE_LOCATION_DATA_NONE = 0;
    public static final int INCLUDE_LOCATION_DATA_COARSE = 1;
    public static final int INCLUDE_LOCATION_DATA_FINE = 2;

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

    /** The serving cell (Beijing, China Mobile LTE); coarse location. */
    private static final int SERVING_TAC = 4372;
    private static final int SERVING_CI = 96412161;

    @Deprecated
    public CellLocation getCellLocation() {
        GsmCellLocation cl = new GsmCellLocation();
        cl.setLacAndCid(SERVING_TAC, SERVING_CI);
        return cl;
    }

    public List<CellInfo> getAllCellInfo() {
        String op = DeviceValues.get("sim_operator");
        String mcc = op != null && op.length() >= 3 ? op.substring(0, 3) : "460";
        String mnc = op != null && op.length() > 3 ? op.substring(3) : "00";
        List<CellInfo> out = new ArrayList<>();
        out.add(new CellInfoLte(true, System.nanoTime(), new CellIdentityLte(SERVING_CI, 301, SERVING_TAC, mcc, mnc)));
        out.add(new CellInfoLte(false, System.nanoTime(), new CellIdentityLte(SERVING_CI + 1, 302, SERVING_TAC, mcc, mnc)));
        return out;
    }

    public void requestCellInfoUpdate(Executor executor, CellInfoCallback callback) {
        final List<CellInfo> cells = getAllCellInfo();
        executor.execute(() -> callback.onCellInfo(cells));
    }

    public ServiceState getServiceState() {
        return getServiceState(INCLUDE_LOCATION_DATA_FINE);
    }

    /** The stand-in's ServiceState carries no cell identity, so every level of location data gives the same. */
    public ServiceState getServiceState(int includeLocationData) {
        return new ServiceState(DeviceValues.get("sim_operator"), DeviceValues.get("sim_operator_name"));
    }

    @Deprecated
    public void listen(PhoneStateListener listener, int events) {
        if ((events & PhoneStateListener.LISTEN_SERVICE_STATE) != 0) listener.onServiceStateChanged(getServiceState());
        if ((events & PhoneStateListener.LISTEN_CELL_LOCATION) != 0) listener.onCellLocationChanged(getCellLocation());
        if ((events & PhoneStateListener.LISTEN_CELL_INFO) != 0) listener.onCellInfoChanged(getAllCellInfo());
    }

    public void registerTelephonyCallback(Executor executor, TelephonyCallback callback) {
        registerTelephonyCallback(INCLUDE_LOCATION_DATA_FINE, executor, callback);
    }

    public void registerTelephonyCallback(int includeLocationData, Executor executor, TelephonyCallback callback) {
        if (callback instanceof TelephonyCallback.CellInfoListener) {
            final List<CellInfo> cells = getAllCellInfo();
            executor.execute(() -> ((TelephonyCallback.CellInfoListener) callback).onCellInfoChanged(cells));
        }
        if (callback instanceof TelephonyCallback.ServiceStateListener) {
            final ServiceState state = getServiceState();
            executor.execute(() -> ((TelephonyCallback.ServiceStateListener) callback).onServiceStateChanged(state));
        }
    }

    public void unregisterTelephonyCallback(TelephonyCallback callback) {}

    /** The one removable, non-eUICC card in slot 0, with one active port holding the SIM. */
    public List<UiccCardInfo> getUiccCardsInfo() {
        List<UiccPortInfo> ports = new ArrayList<>();
        ports.add(new UiccPortInfo(0, getSlotIndex(), true));
        List<UiccCardInfo> out = new ArrayList<>();
        out.add(new UiccCardInfo(false, 0, null, getSlotIndex(), true, false, ports));
        return out;
    }

    public abstract static class CellInfoCallback {
        public CellInfoCallback() {}

        public abstract void onCellInfo(List<CellInfo> cellInfo);
    }
}
