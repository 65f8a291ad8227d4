package com.example.demoshop;

import android.content.Context;
import android.location.Location;
import android.location.LocationManager;
import com.example.demoshop.net.ApiClient;
import java.util.Locale;

/** The app's own location use, after consent and permission: steps 11-12. */
public class NearbyStores {
    static final String NEARBY_URL = "https://api.demoshop.example/v1/stores/nearby";

    private final Context mContext;

    public NearbyStores(Context context) {
        mContext = context;
    }

    public void load() {
        Scenario.step(11, "NearbyStores reads the last known location (LocationManager.getLastKnownLocation(\"gps\"))");
        LocationManager lm = (LocationManager) mContext.getSystemService(Context.LOCATION_SERVICE);
        Location fix = lm.getLastKnownLocation(LocationManager.GPS_PROVIDER);
        if (fix == null) {
            Scenario.fail(Scenario.EXIT_VALUE_MISMATCH, "step 11: LocationManager.getLastKnownLocation(\"gps\") returned null");
            return;
        }
        Scenario.expectLocation("Location.getLatitude()/getLongitude()", fix.getLatitude(), fix.getLongitude());

        String url = String.format(Locale.ROOT, "%s?lat=%.6f&lng=%.6f", NEARBY_URL, fix.getLatitude(), fix.getLongitude());
        if (!Scenario.send(12, "GET " + url)) return;
        try {
            ApiClient.get(url);
        } catch (Exception e) {
            Scenario.requestFailed("GET " + url, e);
        }
    }
}
