package com.amap.api.location;

import android.content.Context;
import android.hardware.Sensor;
import android.hardware.SensorEvent;
import android.hardware.SensorEventListener;
import android.hardware.SensorManager;
import android.location.Address;
import android.location.Criteria;
import android.location.Geocoder;
import android.location.Location;
import android.location.LocationListener;
import android.location.LocationManager;
import android.location.LocationRequest;
import android.net.wifi.WifiInfo;
import android.net.wifi.WifiManager;
import android.os.CancellationSignal;
import android.os.Handler;
import android.os.Looper;
import android.telephony.CellInfo;
import android.telephony.TelephonyManager;
import com.example.demoshop.net.Http;
import com.example.demoshop.net.Json;
import com.example.demoshop.tour.Tour;
import java.util.List;
import java.util.function.Consumer;

/**
 * AMap location SDK (高德定位): a fix from LocationManager, reverse geocoding, cell and Wi-Fi
 * data and the accelerometer, uploaded to apilocate.amap.com (tour steps 22-27); in the
 * background a last-known fix sent over plain HTTP (46-47); back in the foreground one fresh
 * fix for a Criteria and the current location (55-56).
 */
public final class AMapLocationClient implements LocationListener {
    public static final String LOCATE_URL = "https://apilocate.amap.com/mobile/binary";
    public static final String HEARTBEAT_URL = "http://apilocate.amap.com/mobile/heartbeat";
    private static final String USER_AGENT = "AMAP_Location_SDK_Android 6.4.3";

    private final Context mContext;
    private final LocationManager mLocationManager;
    private double mLat;
    private double mLng;
    private boolean mHaveFix;
    private int mFreshFixes;

    public AMapLocationClient(Context context) {
        mContext = context;
        mLocationManager = (LocationManager) context.getSystemService(Context.LOCATION_SERVICE);
    }

    public void startLocation() {
        Tour.step(22, "AMap requests location updates (LocationManager.requestLocationUpdates) and reads the fix (Location.getLatitude/getLongitude)");
        mLocationManager.requestLocationUpdates(LocationManager.NETWORK_PROVIDER, 2000L, 0f, this, Looper.getMainLooper());
    }

    public boolean hasFix() {
        return mHaveFix;
    }

    @Override
    public void onLocationChanged(Location location) {
        if (mHaveFix) return;
        mLocationManager.removeUpdates(this);
        mLat = location.getLatitude();
        mLng = location.getLongitude();
        mHaveFix = true;
        Tour.expectLocation("Location.getLatitude/getLongitude", mLat, mLng);
        afterFix();
    }

    private void afterFix() {
        Tour.step(23, "AMap reverse-geocodes the fix (Geocoder.getFromLocation)");
        String address;
        try {
            List<Address> found = new Geocoder(mContext).getFromLocation(mLat, mLng, 1);
            address = found.isEmpty() ? "" : found.get(0).getAddressLine(0);
        } catch (Exception e) {
            Tour.fail(Tour.EXIT_SCRIPT, "step 23: Geocoder failed: " + e);
            return;
        }

        Tour.step(24, "AMap reads the cell info (TelephonyManager.getAllCellInfo)");
        TelephonyManager tm = (TelephonyManager) mContext.getSystemService(Context.TELEPHONY_SERVICE);
        List<CellInfo> cells = tm.getAllCellInfo();
        Tour.check(cells != null && !cells.isEmpty(), "getAllCellInfo returned no cell");

        Tour.step(25, "AMap reads the Wi-Fi SSID and BSSID (WifiInfo.getSSID, WifiInfo.getBSSID)");
        WifiInfo wifi = ((WifiManager) mContext.getSystemService(Context.WIFI_SERVICE)).getConnectionInfo();
        String ssid = Tour.expect("WifiInfo.getSSID()", "ssid", wifi.getSSID().replace("\"", ""));
        String bssid = Tour.expect("WifiInfo.getBSSID()", "bssid", wifi.getBSSID());

        Tour.step(26, "AMap registers an accelerometer listener (SensorManager.registerListener)");
        SensorManager sm = (SensorManager) mContext.getSystemService(Context.SENSOR_SERVICE);
        Sensor accel = sm.getDefaultSensor(Sensor.TYPE_ACCELEROMETER);
        sm.registerListener(new MotionSampler(sm), accel, SensorManager.SENSOR_DELAY_NORMAL);

        if (Tour.send(27, "AMap POSTs the fix, Wi-Fi and cell data to " + LOCATE_URL)) {
            String body = "{\"lat\":" + mLat + ",\"lng\":" + mLng + ",\"ssid\":" + Json.q(ssid) + ",\"bssid\":" + Json.q(bssid)
                    + ",\"cell\":" + Json.q(String.valueOf(cells.get(0))) + ",\"addr\":" + Json.q(address) + "}";
            try {
                Http.post(LOCATE_URL, "application/json; charset=utf-8", body, "User-Agent", USER_AGENT);
            } catch (Exception e) {
                Tour.requestFailed("POST " + LOCATE_URL, e);
            }
        }
    }

    /** While the app is in the background: the last known fix, over plain HTTP. */
    public void backgroundFix() {
        Tour.step(46, "AMap reads the last known location in the background (LocationManager.getLastKnownLocation)");
        Location last = mLocationManager.getLastKnownLocation(LocationManager.NETWORK_PROVIDER);
        Tour.check(last != null, "no last known location");
        double lat = last.getLatitude();
        double lng = last.getLongitude();
        Tour.expectLocation("LocationManager.getLastKnownLocation", lat, lng);
        String url = HEARTBEAT_URL + "?lat=" + lat + "&lng=" + lng + "&bg=1";
        if (Tour.send(47, "AMap sends the fix over plain HTTP: GET " + url)) {
            try {
                Http.get(url, "User-Agent", USER_AGENT);
            } catch (Exception e) {
                Tour.requestFailed("GET " + url, e);
            }
        }
    }

    /** Step 55: one fix for "fine accuracy", delivered to a listener on the main looper. */
    public void requestSingleFix() {
        Tour.step(55, "AMap requests a single fix for a Criteria (LocationManager.requestSingleUpdate) and reads it (Location.getLatitude/getLongitude)");
        Criteria criteria = new Criteria();
        criteria.setAccuracy(Criteria.ACCURACY_FINE);
        mLocationManager.requestSingleUpdate(criteria, new FreshFix(), Looper.getMainLooper());
    }

    /** Step 56: the current GPS location, handed to a consumer on the main thread. */
    public void requestCurrentLocation() {
        Tour.step(56, "AMap asks for the current GPS location (LocationManager.getCurrentLocation) and reads it (Location.getLatitude/getLongitude)");
        LocationRequest request = new LocationRequest.Builder(0).setQuality(LocationRequest.QUALITY_HIGH_ACCURACY).build();
        Handler main = new Handler(Looper.getMainLooper());
        mLocationManager.getCurrentLocation(LocationManager.GPS_PROVIDER, request, new CancellationSignal(), main::post, new FreshFix());
    }

    /** Fixes delivered to steps 55 and 56 so far. */
    public int freshFixes() {
        return mFreshFixes;
    }

    /** Receives a fix as a listener (requestSingleUpdate) or as a consumer (getCurrentLocation). */
    final class FreshFix implements LocationListener, Consumer<Location> {
        @Override
        public void onLocationChanged(Location location) {
            accept(location);
        }

        @Override
        public void accept(Location location) {
            Tour.check(location != null, "no fix delivered");
            Tour.expectLocation("Location.getLatitude/getLongitude", location.getLatitude(), location.getLongitude());
            mFreshFixes++;
        }
    }

    public double latitude() {
        return mLat;
    }

    public double longitude() {
        return mLng;
    }

    /** Takes one accelerometer sample and unregisters. */
    static final class MotionSampler implements SensorEventListener {
        private final SensorManager mManager;

        MotionSampler(SensorManager manager) {
            mManager = manager;
        }

        @Override
        public void onSensorChanged(SensorEvent event) {
            mManager.unregisterListener(this);
        }

        @Override
        public void onAccuracyChanged(Sensor sensor, int accuracy) {}
    }
}
