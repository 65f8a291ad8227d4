package com.bun.miitmdid.core;

import android.content.Context;
import com.bun.miitmdid.interfaces.IIdentifierListener;
import com.bun.miitmdid.pojo.IdSupplierImpl;

/** The MSA (移动安全联盟) OAID SDK's entry point; the listener is called before InitSdk returns. */
public class MdidSdkHelper {
    public static final int SDK_VERSION_CODE = 20240116;

    public MdidSdkHelper() {}

    public static int InitSdk(Context cxt, boolean isSDKLogOn, IIdentifierListener listener) {
        return InitSdk(cxt, isSDKLogOn, true, false, false, listener);
    }

    public static int InitSdk(Context cxt, boolean isSDKLogOn, boolean isGetOAID, boolean isGetVAID, boolean isGetAAID,
                              IIdentifierListener listener) {
        if (listener != null) listener.onSupport(new IdSupplierImpl());
        return InfoCode.INIT_INFO_RESULT_OK;
    }
}
