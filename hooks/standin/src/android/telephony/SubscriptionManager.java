package android.telephony;

import android.content.Context;
import com.android.internal.standin.DeviceValues;
import java.util.ArrayList;
import java.util.List;

public class SubscriptionManager {
    public static final int INVALID_SUBSCRIPTION_ID = -1;
    public static final int DEFAULT_SUBSCRIPTION_ID = Integer.MAX_VALUE;
    public static final int PHONE_NUMBER_SOURCE_UICC = 1;
    private static final int SUB_ID = 1;

    private final Context mContext;

    /** Hidden constructor used by the system service registry. */
    public SubscriptionManager(Context context) {
        mContext = context;
    }

    public static SubscriptionManager from(Context context) {
        return (SubscriptionManager) context.getSystemService(Context.TELEPHONY_SUBSCRIPTION_SERVICE);
    }

    public static int getDefaultSubscriptionId() {
        return SUB_ID;
    }

    public List<SubscriptionInfo> getActiveSubscriptionInfoList() {
        List<SubscriptionInfo> out = new ArrayList<>();
        out.add(new SubscriptionInfo(SUB_ID, 0));
        return out;
    }

    public SubscriptionInfo getActiveSubscriptionInfo(int subId) {
        return subId == SUB_ID ? new SubscriptionInfo(SUB_ID, 0) : null;
    }

    public int getActiveSubscriptionInfoCount() {
        return 1;
    }

    public String getPhoneNumber(int subscriptionId) {
        return getPhoneNumber(subscriptionId, PHONE_NUMBER_SOURCE_UICC);
    }

    public String getPhoneNumber(int subscriptionId, int source) {
        return subscriptionId == SUB_ID || subscriptionId == DEFAULT_SUBSCRIPTION_ID ? DeviceValues.get("phone_number") : "";
    }
}
