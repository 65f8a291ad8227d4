package com.bun.miitmdid.core;

import android.content.Context;
import com.bun.miitmdid.interfaces.IIdentifierListener;
import com.bun.miitmdid.pojo.IdSupplierImpl;

public class MdidSdkHelper {
    public static int InitSdk(Context context, boolean isSDKLogOn, IIdentifierListener listener) {
        listener.onSupport(new IdSupplierImpl());
        return 0;
    }
}
