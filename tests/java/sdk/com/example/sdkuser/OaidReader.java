package com.example.sdkuser;

import android.content.Context;
import com.bun.miitmdid.core.MdidSdkHelper;
import com.bun.miitmdid.interfaces.IIdentifierListener;
import com.bun.miitmdid.interfaces.IdSupplier;
import com.tencent.mmkv.MMKV;
import java.util.function.Consumer;

/** The app code shipped with the SDK: asks MSA for the OAID, stores its consent flag in MMKV. */
public class OaidReader implements Consumer<Context>, IIdentifierListener {
    @Override
    public void accept(Context context) {
        MdidSdkHelper.InitSdk(context, false, this);
        MMKV.initialize(context);
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
