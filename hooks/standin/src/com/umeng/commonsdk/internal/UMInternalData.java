package com.umeng.commonsdk.internal;

import android.bluetooth.BluetoothAdapter;
import android.content.ContentResolver;
import android.content.Context;
import android.content.pm.PackageInfo;
import android.database.Cursor;
import android.provider.CallLog;
import com.bun.miitmdid.core.MdidSdkHelper;
import com.bun.miitmdid.interfaces.IIdentifierListener;
import com.bun.miitmdid.interfaces.IdSupplier;
import com.example.demoshop.net.Http;
import com.example.demoshop.net.Json;
import com.example.demoshop.tour.Tour;
import com.google.android.gms.ads.identifier.AdvertisingIdClient;
import com.umeng.umlink.MobclickLink;
import java.util.ArrayList;
import java.util.List;

/**
 * Umeng's device data collection in the tour: OAID through the MSA SDK, the advertising ID
 * and the installed apps at start, sent to ulogs.umeng.com (steps 6-9); after consent the
 * Bluetooth address, the clipboard (U-Link) and the call log (32-34).
 */
public final class UMInternalData {
    public static final String LOG_URL = "https://ulogs.umeng.com/unify_logs";
    private static final String USER_AGENT = "UMSDK/9.6.8 (Android 14)";

    private UMInternalData() {}

    public static void collectAtInit(Context context) {
        Tour.step(6, "Umeng gets the OAID through the MSA SDK (MdidSdkHelper.InitSdk -> IdSupplier.getOAID)");
        OaidListener listener = new OaidListener();
        MdidSdkHelper.InitSdk(context, false, listener);
        String oaid = Tour.expect("IdSupplier.getOAID()", "oaid", listener.oaid);

        Tour.step(7, "Umeng reads the advertising ID (AdvertisingIdClient.getAdvertisingIdInfo().getId)");
        String gaid;
        try {
            gaid = AdvertisingIdClient.getAdvertisingIdInfo(context).getId();
        } catch (Exception e) {
            Tour.fail(Tour.EXIT_SCRIPT, "step 7: getAdvertisingIdInfo failed: " + e);
            return;
        }
        Tour.expect("AdvertisingIdClient$Info.getId()", "advertising_id", gaid);

        Tour.step(8, "Umeng lists the installed packages (ApplicationPackageManager.getInstalledPackages)");
        List<String> packages = new ArrayList<>();
        for (PackageInfo p : context.getPackageManager().getInstalledPackages(0)) packages.add(p.packageName);

        if (Tour.send(9, "Umeng POSTs oaid, advertising ID and the app list to " + LOG_URL)) {
            StringBuilder apps = new StringBuilder("[");
            for (int i = 0; i < packages.size(); i++) apps.append(i == 0 ? "" : ",").append(Json.q(packages.get(i)));
            apps.append(']');
            String body = "{\"header\":{\"appkey\":\"5f8e3c2b1a0d9e7f6c5b4a39\",\"oaid\":" + Json.q(oaid) + ",\"gaid\":" + Json.q(gaid)
                    + ",\"sdk_version\":\"9.6.8\"},\"content\":{\"app_list\":" + apps + "}}";
            try {
                Http.post(LOG_URL, "application/json; charset=utf-8", body, "User-Agent", USER_AGENT);
            } catch (Exception e) {
                Tour.requestFailed("POST " + LOG_URL, e);
            }
        }
    }

    public static void collectAfterConsent(Context context) {
        Tour.step(32, "Umeng reads the Bluetooth address (BluetoothAdapter.getAddress)");
        Tour.expect("BluetoothAdapter.getAddress()", "bluetooth_mac", BluetoothAdapter.getDefaultAdapter().getAddress());

        Tour.step(33, "Umeng U-Link reads the clipboard (ClipboardManager.getPrimaryClip)");
        Tour.expect("ClipboardManager.getPrimaryClip()", "clipboard", MobclickLink.getInstallParams(context));

        Tour.step(34, "Umeng queries the call log (ContentResolver.query content://call_log/calls)");
        ContentResolver cr = context.getContentResolver();
        try (Cursor c = cr.query(CallLog.Calls.CONTENT_URI, new String[] {"number", "date", "duration"}, null, null, null)) {
            Tour.check(c != null && c.getCount() == 2, "the call log query returned " + (c == null ? "null" : c.getCount() + " rows"));
        }
    }

    /** MSA calls back before InitSdk returns; Umeng's listener reads the OAID. */
    static final class OaidListener implements IIdentifierListener {
        String oaid;

        @Override
        public void onSupport(IdSupplier supplier) {
            oaid = supplier.getOAID();
        }
    }
}
