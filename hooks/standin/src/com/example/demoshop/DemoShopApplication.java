package com.example.demoshop;

import android.app.Application;
import cn.jpush.android.api.JPushInterface;
import com.umeng.commonsdk.UMConfigure;

/** Initialises the embedded SDKs at process start, before any consent: steps 1-6. */
public class DemoShopApplication extends Application {
    static final String UMENG_APPKEY = "5f8e3c2a1b4d6e7f8a9b0c1d";

    @Override
    public void onCreate() {
        super.onCreate();
        UMConfigure.init(this, UMENG_APPKEY, "demo", UMConfigure.DEVICE_TYPE_PHONE, "");
        JPushInterface.init(this);
    }
}
