package com.example.demoshop;

import android.accounts.Account;
import android.accounts.AccountManager;
import android.app.Activity;
import android.app.ActivityManager;
import android.app.ActivityThread;
import android.app.Application;
import android.app.Fragment;
import android.app.PendingIntent;
import android.app.admin.DevicePolicyManager;
import android.app.usage.UsageStats;
import android.app.usage.UsageStatsManager;
import android.bluetooth.BluetoothAdapter;
import android.content.ClipboardManager;
import android.content.ComponentName;
import android.content.ContentProviderClient;
import android.content.ContentResolver;
import android.content.Context;
import android.content.Intent;
import android.content.ServiceConnection;
import android.content.pm.ApplicationInfo;
import android.content.pm.PackageManager;
import android.content.pm.ResolveInfo;
import android.database.Cursor;
import android.hardware.Camera;
import android.hardware.Sensor;
import android.hardware.SensorEvent;
import android.hardware.SensorEventListener;
import android.hardware.SensorListener;
import android.hardware.SensorManager;
import android.hardware.camera2.CameraDevice;
import android.hardware.camera2.CameraManager;
import android.location.Address;
import android.location.Criteria;
import android.location.Geocoder;
import android.location.Location;
import android.location.LocationListener;
import android.location.LocationManager;
import android.media.AudioRecord;
import android.media.MediaRecorder;
import android.net.Uri;
import android.net.wifi.ScanResult;
import android.net.wifi.WifiInfo;
import android.net.wifi.WifiManager;
import android.os.Build;
import android.os.Bundle;
import android.os.IBinder;
import android.os.Looper;
import android.provider.CallLog;
import android.provider.ContactsContract;
import android.provider.Settings;
import android.provider.Telephony;
import android.speech.RecognizerIntent;
import android.speech.SpeechRecognizer;
import android.telephony.CellInfo;
import android.telephony.SubscriptionInfo;
import android.telephony.SubscriptionManager;
import android.telephony.TelephonyManager;
import android.telephony.UiccCardInfo;
import android.text.style.URLSpan;
import android.webkit.WebView;
import android.widget.CheckBox;
import android.widget.PopupWindow;
import android.widget.TextView;
import com.android.internal.standin.DeviceValues;
import com.bun.miitmdid.core.MdidSdkHelper;
import com.google.android.gms.ads.identifier.AdvertisingIdClient;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Not a scenario: calls every framework API the stand-in declares beyond the 14-step
 * scenario (identifiers, cell and Wi-Fi data, providers, camera, microphone, sensors,
 * accounts, consent UI pieces, component starts), one "TOUR <api> -> <value>" line each, and
 * checks identifiers against the device values like the scenario does (exit 3 on a mismatch).
 * Honours -Dstandin.device and -Dstandin.gate.
 */
public final class ApiTour {
    private static final PrintStream OUT = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
    private static int sCalls;

    private ApiTour() {}

    public static void main(String[] args) throws Exception {
        InstrumentationGate.awaitIfRequested();
        ActivityThread thread = ActivityThread.systemMain();
        Application app = thread.bindApplication("com.example.demoshop", Application.class.getName());
        Activity activity = thread.launchActivity(TourActivity.class.getName());

        identifiers(app);
        network(app);
        location(app, thread);
        personalData(app, thread);
        devices(app, thread);
        consentUi(activity, thread);
        components(app, activity, thread);
        activity.finish();
        thread.runUntilIdle();
        OUT.println("TOUR DONE " + sCalls + " calls");
        System.exit(0);
    }

    private static void identifiers(Context ctx) throws Exception {
        TelephonyManager tm = (TelephonyManager) ctx.getSystemService(Context.TELEPHONY_SERVICE);
        check("TelephonyManager.getDeviceId()", "imei", tm.getDeviceId());
        check("TelephonyManager.getDeviceId(int)", "imei", tm.getDeviceId(0));
        check("TelephonyManager.getImei(int)", "imei", tm.getImei(0));
        check("TelephonyManager.getMeid()", "meid", tm.getMeid());
        check("TelephonyManager.getSubscriberId()", "imsi", tm.getSubscriberId());
        check("TelephonyManager.getSimSerialNumber()", "iccid", tm.getSimSerialNumber());
        check("TelephonyManager.getLine1Number()", "phone_number", tm.getLine1Number());
        check("TelephonyManager.getSimOperator()", "sim_operator", tm.getSimOperator());
        show("TelephonyManager.getTypeAllocationCode()", tm.getTypeAllocationCode());

        SubscriptionManager sm = SubscriptionManager.from(ctx);
        SubscriptionInfo sub = sm.getActiveSubscriptionInfoList().get(0);
        check("SubscriptionInfo.getIccId()", "iccid", sub.getIccId());
        check("SubscriptionInfo.getNumber()", "phone_number", sub.getNumber());
        check("SubscriptionManager.getPhoneNumber(int)", "phone_number", sm.getPhoneNumber(sub.getSubscriptionId()));

        ContentResolver cr = ctx.getContentResolver();
        check("Settings.System.getString(android_id)", "android_id", Settings.System.getString(cr, "android_id"));
        check("Settings.Secure.getString(bluetooth_address)", "bluetooth_mac", Settings.Secure.getString(cr, "bluetooth_address"));
        check("AdvertisingIdClient.getAdvertisingIdInfo().getId()", "advertising_id", AdvertisingIdClient.getAdvertisingIdInfo(ctx).getId());
        AtomicReference<String> oaid = new AtomicReference<>();
        MdidSdkHelper.InitSdk(ctx, false, supplier -> oaid.set(supplier.getOAID()));
        check("MdidSdkHelper.InitSdk/IdSupplier.getOAID()", "oaid", oaid.get());
        check("BluetoothAdapter.getAddress()", "bluetooth_mac", BluetoothAdapter.getDefaultAdapter().getAddress());
        show("BluetoothAdapter.getBondedDevices()", BluetoothAdapter.getDefaultAdapter().getBondedDevices());
        check("Build.getSerial()", "serial", Build.getSerial());
        UiccCardInfo card = tm.getUiccCardsInfo().get(0);
        check("UiccCardInfo.getIccId()", "iccid", card.getIccId());
        check("UiccPortInfo.getIccId()", "iccid", card.getPorts().iterator().next().getIccId());
        DevicePolicyManager dpm = (DevicePolicyManager) ctx.getSystemService(Context.DEVICE_POLICY_SERVICE);
        check("DevicePolicyManager.getWifiMacAddress()", "mac", dpm.getWifiMacAddress(new ComponentName(ctx, "com.example.demoshop.AdminReceiver")));
    }

    private static void network(Context ctx) {
        WifiManager wifi = (WifiManager) ctx.getSystemService(Context.WIFI_SERVICE);
        WifiInfo info = wifi.getConnectionInfo();
        check("WifiInfo.getSSID()", "ssid", info.getSSID().replace("\"", ""));
        check("WifiInfo.getBSSID()", "bssid", info.getBSSID());
        List<ScanResult> scan = wifi.getScanResults();
        show("WifiManager.getScanResults()", scan.size() + " networks");
        TelephonyManager tm = (TelephonyManager) ctx.getSystemService(Context.TELEPHONY_SERVICE);
        show("TelephonyManager.getCellLocation()", tm.getCellLocation());
        List<CellInfo> cells = tm.getAllCellInfo();
        show("TelephonyManager.getAllCellInfo()", cells.get(0));
        show("TelephonyManager.getServiceState()", tm.getServiceState().getOperatorNumeric());
        show("TelephonyManager.getServiceState(int)", tm.getServiceState(TelephonyManager.INCLUDE_LOCATION_DATA_NONE).getOperatorNumeric());
    }

    private static void location(Context ctx, ActivityThread thread) throws Exception {
        LocationManager lm = (LocationManager) ctx.getSystemService(Context.LOCATION_SERVICE);
        AtomicReference<Location> got = new AtomicReference<>();
        LocationListener listener = got::set;
        lm.requestLocationUpdates(LocationManager.NETWORK_PROVIDER, 1000L, 0f, listener, Looper.getMainLooper());
        thread.runUntilIdle();
        lm.removeUpdates(listener);
        checkFix("LocationManager.requestLocationUpdates/onLocationChanged", got.get());
        got.set(null);
        lm.getCurrentLocation(LocationManager.GPS_PROVIDER, null, Runnable::run, got::set);
        checkFix("LocationManager.getCurrentLocation", got.get());
        List<Address> addresses = new Geocoder(ctx).getFromLocation(got.get().getLatitude(), got.get().getLongitude(), 1);
        show("Geocoder.getFromLocation", addresses.get(0).getAddressLine(0));
        got.set(null);
        lm.requestSingleUpdate(new Criteria(), got::set, Looper.getMainLooper());
        thread.runUntilIdle();
        checkFix("LocationManager.requestSingleUpdate(Criteria)", got.get());
        lm.requestSingleUpdate(LocationManager.GPS_PROVIDER, PendingIntent.getBroadcast(ctx, 0, new Intent("com.example.demoshop.FIX"), PendingIntent.FLAG_IMMUTABLE));
        show("LocationManager.requestSingleUpdate(String,PendingIntent)", "registered");
        show("Geocoder.getFromLocationName(bounds: Beijing)", new Geocoder(ctx).getFromLocationName("天安门", 1, 39.0, 116.0, 41.0, 117.0).size() + " addresses");
        show("Geocoder.getFromLocationName(bounds: Shanghai)", new Geocoder(ctx).getFromLocationName("天安门", 1, 30.0, 121.0, 32.0, 122.0).size() + " addresses");
    }

    private static void personalData(Context ctx, ActivityThread thread) {
        ContentResolver cr = ctx.getContentResolver();
        showCursor("ContentResolver.query(contacts)", cr.query(ContactsContract.CommonDataKinds.Phone.CONTENT_URI,
                new String[] {"display_name", "data1"}, null, null, null));
        showCursor("ContentResolver.query(call_log)", cr.query(CallLog.Calls.CONTENT_URI, null, null, null, null));
        showCursor("ContentResolver.query(sms)", cr.query(Telephony.Sms.CONTENT_URI, new String[] {"address", "body"}, null, null, null, null));
        try (ContentProviderClient client = cr.acquireContentProviderClient(Uri.parse("content://com.vivo.vms.IdProvider/IdentifierId/OAID"))) {
            Cursor c = client.query(Uri.parse("content://com.vivo.vms.IdProvider/IdentifierId/OAID"), null, null, null, null);
            c.moveToFirst();
            check("ContentProviderClient.query(vivo OAID provider)", "oaid", c.getString(0));
        }
        PackageManager pm = ctx.getPackageManager();
        List<ApplicationInfo> apps = pm.getInstalledApplications(PackageManager.GET_META_DATA);
        show("PackageManager.getInstalledApplications(int)", apps.size() + " apps");
        List<ResolveInfo> launchable = pm.queryIntentActivities(new Intent(Intent.ACTION_MAIN), 0);
        show("PackageManager.queryIntentActivities(Intent,int)", launchable.size() + " activities");
        ActivityManager am = (ActivityManager) ctx.getSystemService(Context.ACTIVITY_SERVICE);
        show("ActivityManager.getRunningAppProcesses()", am.getRunningAppProcesses().size() + " processes");
        show("ActivityManager.getRecentTasks(int,int)", am.getRecentTasks(5, 0).get(0).baseIntent);
        try {
            show("PackageManager.getPackageInfo(String,PackageInfoFlags)", pm.getPackageInfo("com.tencent.mm", PackageManager.PackageInfoFlags.of(0)).versionName);
        } catch (PackageManager.NameNotFoundException e) {
            Scenario.fail(Scenario.EXIT_VALUE_MISMATCH, "tour: com.tencent.mm is not installed: " + e);
        }
        show("PackageManager.queryBroadcastReceivers(Intent,int)", pm.queryBroadcastReceivers(new Intent(Intent.ACTION_BOOT_COMPLETED), 0).size() + " receivers");
        UsageStatsManager usm = (UsageStatsManager) ctx.getSystemService(Context.USAGE_STATS_SERVICE);
        long now = System.currentTimeMillis();
        List<String> used = new ArrayList<>();
        for (UsageStats u : usm.queryUsageStats(UsageStatsManager.INTERVAL_DAILY, now - 86_400_000L, now)) used.add(u.getPackageName());
        show("UsageStatsManager.queryUsageStats", String.join(",", used));
        for (Account a : AccountManager.get(ctx).getAccounts()) show("AccountManager.getAccounts()", a);
        ClipboardManager cm = (ClipboardManager) ctx.getSystemService(Context.CLIPBOARD_SERVICE);
        show("ClipboardManager.getPrimaryClipDescription()", cm.hasPrimaryClip() ? cm.getPrimaryClipDescription() : null);
        check("ClipboardManager.getText()", "clipboard", String.valueOf(cm.getText()));
    }

    private static void devices(Context ctx, ActivityThread thread) {
        Camera camera = Camera.open();
        camera.release();
        show("Camera.open()", "opened and released");
        CameraManager cam2 = (CameraManager) ctx.getSystemService(Context.CAMERA_SERVICE);
        AtomicReference<String> opened = new AtomicReference<>();
        cam2.openCamera("0", new CameraDevice.StateCallback() {
            @Override public void onOpened(CameraDevice device) {
                opened.set(device.getId());
                device.close();
            }

            @Override public void onDisconnected(CameraDevice device) {}

            @Override public void onError(CameraDevice device, int error) {}
        }, null);
        thread.runUntilIdle();
        show("CameraManager.openCamera", "camera " + opened.get());
        AudioRecord rec = new AudioRecord(MediaRecorder.AudioSource.MIC, 16000, 16, 2, AudioRecord.getMinBufferSize(16000, 16, 2));
        rec.startRecording();
        rec.release();
        show("AudioRecord.startRecording()", "recording state was " + AudioRecord.RECORDSTATE_RECORDING);
        MediaRecorder mr = new MediaRecorder();
        mr.setAudioSource(MediaRecorder.AudioSource.MIC);
        mr.setOutputFile("/data/user/0/com.example.demoshop/cache/voice.m4a");
        try {
            mr.prepare();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        mr.start();
        mr.stop();
        mr.release();
        show("MediaRecorder.start()", "mic");
        SensorManager sensors = (SensorManager) ctx.getSystemService(Context.SENSOR_SERVICE);
        AtomicReference<float[]> reading = new AtomicReference<>();
        SensorEventListener l = new SensorEventListener() {
            @Override public void onSensorChanged(SensorEvent event) { reading.set(event.values.clone()); }

            @Override public void onAccuracyChanged(Sensor sensor, int accuracy) {}
        };
        sensors.registerListener(l, sensors.getDefaultSensor(Sensor.TYPE_ACCELEROMETER), SensorManager.SENSOR_DELAY_NORMAL);
        thread.runUntilIdle();
        sensors.unregisterListener(l);
        show("SensorManager.registerListener(accelerometer)", reading.get() == null ? null : reading.get()[2]);
        AtomicReference<Integer> legacy = new AtomicReference<>();
        SensorListener old = new SensorListener() {
            @Override public void onSensorChanged(int sensor, float[] values) { legacy.set(sensor); }

            @Override public void onAccuracyChanged(int sensor, int accuracy) {}
        };
        sensors.registerListener(old, SensorManager.SENSOR_ACCELEROMETER);
        thread.runUntilIdle();
        show("SensorManager.registerListener(SensorListener, SENSOR_ACCELEROMETER)", legacy.get());
        AtomicReference<Integer> speechError = new AtomicReference<>();
        SpeechRecognizer speech = SpeechRecognizer.createSpeechRecognizer(ctx);
        speech.setRecognitionListener(new android.speech.RecognitionListener() {
            @Override public void onReadyForSpeech(Bundle params) {}
            @Override public void onBeginningOfSpeech() {}
            @Override public void onRmsChanged(float rmsdB) {}
            @Override public void onBufferReceived(byte[] buffer) {}
            @Override public void onEndOfSpeech() {}
            @Override public void onError(int error) { speechError.set(error); }
            @Override public void onResults(Bundle results) {}
            @Override public void onPartialResults(Bundle partialResults) {}
            @Override public void onEvent(int eventType, Bundle params) {}
        });
        speech.startListening(new Intent(RecognizerIntent.ACTION_RECOGNIZE_SPEECH));
        thread.runUntilIdle();
        speech.destroy();
        show("SpeechRecognizer.startListening", "error " + speechError.get());
    }

    private static void consentUi(Activity activity, ActivityThread thread) {
        TextView text = new TextView(activity);
        text.setText("我们会根据《隐私政策》收集您的设备信息");
        PopupWindow popup = new PopupWindow(text, -1, -2);
        popup.showAtLocation(text, 0, 0, 0);
        popup.dismiss();
        show("PopupWindow.showAtLocation/dismiss", text.getText());
        CheckBox agree = new CheckBox(activity);
        agree.setText("我已阅读并同意《隐私政策》");
        agree.setChecked(true);
        show("CompoundButton.setChecked(true)", agree.getText());
        WebView web = new WebView(activity);
        web.loadUrl("file:///android_asset/privacy.html");
        show("WebView.loadUrl", web.getUrl());
        new URLSpan("https://www.demoshop.example/privacy").onClick(text);
        show("URLSpan.onClick", "https://www.demoshop.example/privacy");
    }

    private static void components(Context ctx, Activity activity, ActivityThread thread) {
        show("ContextImpl.checkSelfPermission(CAMERA)", ctx.checkSelfPermission(android.Manifest.permission.CAMERA));
        ctx.sendBroadcast(new Intent("com.example.demoshop.action.SYNC"));
        ctx.startActivity(new Intent(Intent.ACTION_VIEW, Uri.parse("https://www.demoshop.example/privacy")));
        ServiceConnection none = new ServiceConnection() {
            @Override public void onServiceConnected(ComponentName name, IBinder service) {}

            @Override public void onServiceDisconnected(ComponentName name) {}
        };
        boolean bound = ctx.bindService(new Intent("com.uodis.opendevice.OPENIDS_SERVICE").setPackage("com.huawei.hwid"), none, Context.BIND_AUTO_CREATE);
        show("ContextImpl.bindService(Huawei OAID service)", bound);
        ComponentName started = ctx.startService(new Intent().setClassName("com.example.demoshop", TourService.class.getName()));
        thread.runUntilIdle();
        show("ContextImpl.startService", started == null ? null : started.getClassName());
        ctx.startActivity(new Intent(Intent.ACTION_VIEW, Uri.parse("https://www.demoshop.example/help")), new Bundle());
        ctx.sendBroadcast(new Intent("com.example.demoshop.action.SYNC"), "com.example.demoshop.permission.SYNC");
        bound = ctx.bindService(new Intent("com.google.android.gms.ads.identifier.service.START").setPackage("com.google.android.gms"),
                Context.BindServiceFlags.of(Context.BIND_AUTO_CREATE), Runnable::run, none);
        show("ContextImpl.bindService(GMS, BindServiceFlags, Executor)", bound);
        TourFragment fragment = new TourFragment();
        activity.getFragmentManager().beginTransaction().add(fragment, "tour").commitNow();
        fragment.requestPermissions(new String[] {android.Manifest.permission.CAMERA}, 7);
        thread.runUntilIdle();
        show("Fragment.requestPermissions/onRequestPermissionsResult", fragment.results);
    }

    private static void check(String api, String key, String actual) {
        String expected = DeviceValues.get(key);
        if (!Objects.equals(expected, actual)) {
            Scenario.fail(Scenario.EXIT_VALUE_MISMATCH, "tour: " + api + " returned '" + actual + "' but the device's " + key + " is '" + expected + "'");
        }
        show(api, actual);
    }

    private static void checkFix(String api, Location fix) {
        if (fix == null) Scenario.fail(Scenario.EXIT_VALUE_MISMATCH, "tour: " + api + " delivered no location");
        if (fix.getLatitude() != DeviceValues.getDouble("location.lat") || fix.getLongitude() != DeviceValues.getDouble("location.lng")) {
            Scenario.fail(Scenario.EXIT_VALUE_MISMATCH, "tour: " + api + " delivered " + fix + ", not the device's location");
        }
        show(api, fix);
    }

    private static void showCursor(String api, Cursor c) {
        int rows = c == null ? 0 : c.getCount();
        String first = null;
        if (c != null && c.moveToFirst()) first = c.getString(c.getColumnCount() - 1);
        if (c != null) c.close();
        show(api, rows + " rows, first " + first);
    }

    private static void show(String api, Object value) {
        sCalls++;
        OUT.println("TOUR " + api + " -> " + value);
    }

    /** A plain Activity, so onResume/onPause and requestPermissions have a receiver. */
    public static class TourActivity extends Activity {
        public TourActivity() {}
    }

    /** A fragment of the app: where a fragment's permission answer lands. */
    public static class TourFragment extends Fragment {
        String results;

        public TourFragment() {}

        @Override
        public void onRequestPermissionsResult(int requestCode, String[] permissions, int[] grantResults) {
            results = requestCode + " " + String.join(",", permissions) + "=" + java.util.Arrays.toString(grantResults);
        }
    }

    /** A service of the app, started by ContextImpl.startService. */
    public static class TourService extends android.app.Service {
        public TourService() {}

        @Override
        public IBinder onBind(Intent intent) {
            return null;
        }
    }
}
