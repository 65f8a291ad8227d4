package com.umeng.commonsdk.statistics.common;

import android.app.admin.DevicePolicyManager;
import android.content.ComponentName;
import android.content.Context;
import com.example.demoshop.tour.Tour;

/**
 * Umeng's device identifiers. WifiInfo has answered 02:00:00:00:00:00 since Android 6, so
 * the SDK also tries DevicePolicyManager, which answers only a device owner on a real device
 * (tour step 54; the stand-in answers everyone).
 */
public final class DeviceConfig {
    static final String ADMIN_RECEIVER = "com.umeng.commonsdk.UMDeviceAdminReceiver";

    private DeviceConfig() {}

    public static String getMac(Context context) {
        Tour.step(54, "Umeng asks DevicePolicyManager for the Wi-Fi MAC address (DevicePolicyManager.getWifiMacAddress)");
        DevicePolicyManager dpm = (DevicePolicyManager) context.getSystemService(Context.DEVICE_POLICY_SERVICE);
        ComponentName admin = new ComponentName(context.getPackageName(), ADMIN_RECEIVER);
        return Tour.expect("DevicePolicyManager.getWifiMacAddress()", "mac", dpm.getWifiMacAddress(admin));
    }
}
