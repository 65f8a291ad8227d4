package android.location;

import android.content.Context;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Every coordinate reverse-geocodes to one fixed address in Beijing; no service is contacted. */
public final class Geocoder {
    private final Context mContext;
    private final Locale mLocale;

    public Geocoder(Context context) {
        this(context, Locale.getDefault());
    }

    public Geocoder(Context context, Locale locale) {
        mContext = context;
        mLocale = locale;
    }

    public static boolean isPresent() {
        return true;
    }

    public interface GeocodeListener {
        void onGeocode(List<Address> addresses);

        default void onError(String errorMessage) {}
    }

    @Deprecated
    public List<Address> getFromLocation(double latitude, double longitude, int maxResults) throws IOException {
        if (latitude < -90 || latitude > 90 || longitude < -180 || longitude > 180) throw new IllegalArgumentException("latitude/longitude out of range");
        List<Address> out = new ArrayList<>();
        if (maxResults > 0) out.add(address(latitude, longitude));
        return out;
    }

    public void getFromLocation(double latitude, double longitude, int maxResults, GeocodeListener listener) {
        try {
            listener.onGeocode(getFromLocation(latitude, longitude, maxResults));
        } catch (IOException e) {
            listener.onError(e.getMessage());
        }
    }

    // Every name geocodes to the same address; all forms funnel into the bounded one, where
    // bounds of 0, 0, 0, 0 mean "anywhere" (as in AOSP).
    private static final double NAMED_LAT = 39.908823;
    private static final double NAMED_LNG = 116.397470;

    @Deprecated
    public List<Address> getFromLocationName(String locationName, int maxResults) throws IOException {
        return getFromLocationName(locationName, maxResults, 0, 0, 0, 0);
    }

    @Deprecated
    public List<Address> getFromLocationName(String locationName, int maxResults, double lowerLeftLatitude, double lowerLeftLongitude,
                                             double upperRightLatitude, double upperRightLongitude) throws IOException {
        if (locationName == null) throw new IllegalArgumentException("locationName == null");
        if (lowerLeftLatitude < -90 || lowerLeftLatitude > 90 || upperRightLatitude < -90 || upperRightLatitude > 90
                || lowerLeftLongitude < -180 || lowerLeftLongitude > 180 || upperRightLongitude < -180 || upperRightLongitude > 180) {
            throw new IllegalArgumentException("bounds out of range");
        }
        boolean anywhere = lowerLeftLatitude == 0 && lowerLeftLongitude == 0 && upperRightLatitude == 0 && upperRightLongitude == 0;
        boolean inside = NAMED_LAT >= lowerLeftLatitude && NAMED_LAT <= upperRightLatitude
                && NAMED_LNG >= lowerLeftLongitude && NAMED_LNG <= upperRightLongitude;
        List<Address> out = new ArrayList<>();
        if (maxResults > 0 && !locationName.isEmpty() && (anywhere || inside)) out.add(address(NAMED_LAT, NAMED_LNG));
        return out;
    }

    public void getFromLocationName(String locationName, int maxResults, GeocodeListener listener) {
        getFromLocationName(locationName, maxResults, 0, 0, 0, 0, listener);
    }

    public void getFromLocationName(String locationName, int maxResults, double lowerLeftLatitude, double lowerLeftLongitude,
                                    double upperRightLatitude, double upperRightLongitude, GeocodeListener listener) {
        try {
            listener.onGeocode(getFromLocationName(locationName, maxResults, lowerLeftLatitude, lowerLeftLongitude,
                    upperRightLatitude, upperRightLongitude));
        } catch (IOException e) {
            listener.onError(e.getMessage());
        }
    }

    private Address address(double lat, double lng) {
        Address a = new Address(mLocale);
        a.setAddressLine(0, "中国北京市东城区东长安街");
        a.setCountryName("中国");
        a.setCountryCode("CN");
        a.setAdminArea("北京市");
        a.setLocality("北京市");
        a.setSubLocality("东城区");
        a.setThoroughfare("东长安街");
        a.setLatitude(lat);
        a.setLongitude(lng);
        return a;
    }
}
