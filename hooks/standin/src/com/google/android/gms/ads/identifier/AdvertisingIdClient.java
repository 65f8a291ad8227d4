package com.google.android.gms.ads.identifier;

import android.content.ComponentName;
import android.content.Context;
import android.content.Intent;
import android.content.ServiceConnection;
import android.os.IBinder;
import com.android.internal.standin.DeviceValues;
import java.io.IOException;

/**
 * Google Play services' advertising ID client. As the real library it binds the GMS
 * identifier service (the stand-in's "Play services" answers the bind); the ID itself is
 * the device profile's advertising_id.
 */
public class AdvertisingIdClient {
    static final String SERVICE_ACTION = "com.google.android.gms.ads.identifier.service.START";
    static final String GMS_PACKAGE = "com.google.android.gms";

    public AdvertisingIdClient(Context context) {}

    public static Info getAdvertisingIdInfo(Context context) throws IOException {
        Intent intent = new Intent(SERVICE_ACTION).setPackage(GMS_PACKAGE);
        ServiceConnection connection = new ServiceConnection() {
            @Override public void onServiceConnected(ComponentName name, IBinder service) {}

            @Override public void onServiceDisconnected(ComponentName name) {}
        };
        if (!context.bindService(intent, connection, Context.BIND_AUTO_CREATE)) {
            throw new IOException("Connection failure");
        }
        try {
            return new Info(DeviceValues.get("advertising_id"), false);
        } finally {
            context.unbindService(connection);
        }
    }

    public static final class Info {
        private final String mAdvertisingId;
        private final boolean mLimitAdTrackingEnabled;

        public Info(String advertisingId, boolean limitAdTrackingEnabled) {
            mAdvertisingId = advertisingId;
            mLimitAdTrackingEnabled = limitAdTrackingEnabled;
        }

        public String getId() {
            return mAdvertisingId;
        }

        public boolean isLimitAdTrackingEnabled() {
            return mLimitAdTrackingEnabled;
        }

        @Override public String toString() { return "{" + mAdvertisingId + "}" + mLimitAdTrackingEnabled; }
    }
}
