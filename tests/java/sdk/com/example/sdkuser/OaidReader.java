package com.example.sdkuser;

import com.bun.miitmdid.core.MdidSdkHelper;
import com.bun.miitmdid.interfaces.IIdentifierListener;
import com.bun.miitmdid.interfaces.IdSupplier;
import com.tencent.mmkv.MMKV;

/** The app code shipped with the SDK: asks MSA for the OAID, stores its consent flag in MMKV. */
public class OaidReader implements Runnable, IIdentifierListener {
    @Override
    public void run() {
        MdidSdkHelper.InitSdk(null, false, this);
        MMKV kv = MMKV.defaultMMKV();
        kv.encode("user_agreed_privacy", true);
        kv.encode("launch_count", 3);
        System.out.println("mmkv agreed " + kv.decodeBool("user_agreed_privacy", false));
    }

    @Override
    public void onSupport(IdSupplier supplier) {
        System.out.println("oaid " + supplier.getOAID());
    }
}
