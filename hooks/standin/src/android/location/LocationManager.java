package android.location;

import android.app.PendingIntent;
import android.content.Context;
import android.os.CancellationSignal;
import android.os.Handler;
import android.os.Looper;
import com.android.internal.standin.DeviceValues;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * Every provider reports the device profile's fix. As in AOSP (API 31+) the
 * requestLocationUpdates overloads funnel into (String, LocationRequest, Executor,
 * LocationListener); a registered listener gets one fix, posted to its looper or executor.
 */
public class LocationManager {
    public static final String GPS_PROVIDER = "gps";
    public static final String NETWORK_PROVIDER = "network";
    public static final String PASSIVE_PROVIDER = "passive";
    public static final String FUSED_PROVIDER = "fused";

    private final Context mContext;
    private final List<LocationListener> mListeners = new ArrayList<>();

    /** Hidden constructor used by the system service registry. */
    public LocationManager(Context context) {
        mContext = context;
    }

    private static Location currentFix(String provider) {
        Location l = new Location(provider == null ? FUSED_PROVIDER : provider);
        l.setLatitude(DeviceValues.getDouble("location.lat"));
        l.setLongitude(DeviceValues.getDouble("location.lng"));
        l.setAltitude(43.5);
        l.setAccuracy(GPS_PROVIDER.equals(provider) ? 4.9f : 20.0f);
        l.setTime(System.currentTimeMillis() - 5_000);
        l.setElapsedRealtimeNanos(System.nanoTime());
        return l;
    }

    public Location getLastKnownLocation(String provider) {
        if (provider == null) throw new IllegalArgumentException("invalid provider: null");
        return currentFix(provider);
    }

    public List<String> getAllProviders() {
        return new ArrayList<>(Arrays.asList(PASSIVE_PROVIDER, NETWORK_PROVIDER, FUSED_PROVIDER, GPS_PROVIDER));
    }

    public List<String> getProviders(boolean enabledOnly) {
        return getAllProviders();
    }

    @Deprecated
    public List<String> getProviders(Criteria criteria, boolean enabledOnly) {
        return getAllProviders();
    }

    @Deprecated
    public String getBestProvider(Criteria criteria, boolean enabledOnly) {
        return GPS_PROVIDER;
    }

    public boolean isProviderEnabled(String provider) {
        return true;
    }

    public boolean isLocationEnabled() {
        return true;
    }

    public void requestLocationUpdates(String provider, long minTimeMs, float minDistanceM, LocationListener listener) {
        requestLocationUpdates(provider, minTimeMs, minDistanceM, listener, null);
    }

    public void requestLocationUpdates(String provider, long minTimeMs, float minDistanceM, LocationListener listener, Looper looper) {
        requestLocationUpdates(provider, request(minTimeMs, minDistanceM), executorFor(looper), listener);
    }

    public void requestLocationUpdates(String provider, long minTimeMs, float minDistanceM, Executor executor, LocationListener listener) {
        requestLocationUpdates(provider, request(minTimeMs, minDistanceM), executor, listener);
    }

    @Deprecated
    public void requestLocationUpdates(long minTimeMs, float minDistanceM, Criteria criteria, LocationListener listener, Looper looper) {
        requestLocationUpdates(FUSED_PROVIDER, request(minTimeMs, minDistanceM), executorFor(looper), listener);
    }

    @Deprecated
    public void requestLocationUpdates(long minTimeMs, float minDistanceM, Criteria criteria, Executor executor, LocationListener listener) {
        requestLocationUpdates(FUSED_PROVIDER, request(minTimeMs, minDistanceM), executor, listener);
    }

    public void requestLocationUpdates(String provider, long minTimeMs, float minDistanceM, PendingIntent pendingIntent) {
        requestLocationUpdates(provider, request(minTimeMs, minDistanceM), pendingIntent);
    }

    @Deprecated
    public void requestLocationUpdates(long minTimeMs, float minDistanceM, Criteria criteria, PendingIntent pendingIntent) {
        requestLocationUpdates(FUSED_PROVIDER, request(minTimeMs, minDistanceM), pendingIntent);
    }

    public void requestLocationUpdates(String provider, LocationRequest locationRequest, Executor executor, LocationListener listener) {
        if (provider == null || listener == null || executor == null) throw new IllegalArgumentException("invalid provider, executor or listener");
        synchronized (mListeners) {
            mListeners.add(listener);
        }
        final Location fix = currentFix(provider);
        executor.execute(() -> {
            synchronized (mListeners) {
                if (!mListeners.contains(listener)) return;
            }
            listener.onLocationChanged(fix);
        });
    }

    /** Broadcasting to a PendingIntent needs another process; the registration is all the stand-in records. */
    public void requestLocationUpdates(String provider, LocationRequest locationRequest, PendingIntent pendingIntent) {
        if (provider == null || pendingIntent == null) throw new IllegalArgumentException("invalid provider or pending intent");
    }

    // The single-update forms are one-fix requests on the API 31 paths, as in AOSP; a Criteria
    // picks the fused provider.
    @Deprecated
    public void requestSingleUpdate(String provider, LocationListener listener, Looper looper) {
        requestLocationUpdates(provider, singleRequest(), executorFor(looper), listener);
    }

    @Deprecated
    public void requestSingleUpdate(Criteria criteria, LocationListener listener, Looper looper) {
        if (criteria == null) throw new IllegalArgumentException("invalid null criteria");
        requestLocationUpdates(FUSED_PROVIDER, singleRequest(), executorFor(looper), listener);
    }

    @Deprecated
    public void requestSingleUpdate(String provider, PendingIntent pendingIntent) {
        requestLocationUpdates(provider, singleRequest(), pendingIntent);
    }

    @Deprecated
    public void requestSingleUpdate(Criteria criteria, PendingIntent pendingIntent) {
        if (criteria == null) throw new IllegalArgumentException("invalid null criteria");
        requestLocationUpdates(FUSED_PROVIDER, singleRequest(), pendingIntent);
    }

    public void getCurrentLocation(String provider, CancellationSignal cancellationSignal, Executor executor, Consumer<Location> consumer) {
        getCurrentLocation(provider, new LocationRequest.Builder(0).setQuality(LocationRequest.QUALITY_HIGH_ACCURACY).build(),
                cancellationSignal, executor, consumer);
    }

    /** The fix is taken now and handed to the consumer on its executor, unless cancelled first. */
    public void getCurrentLocation(String provider, LocationRequest locationRequest, CancellationSignal cancellationSignal,
                                   Executor executor, Consumer<Location> consumer) {
        if (provider == null || locationRequest == null || executor == null || consumer == null) {
            throw new IllegalArgumentException("invalid provider, request, executor or consumer");
        }
        if (cancellationSignal != null) cancellationSignal.throwIfCanceled();
        final Location fix = currentFix(provider);
        executor.execute(() -> {
            if (cancellationSignal == null || !cancellationSignal.isCanceled()) consumer.accept(fix);
        });
    }

    public void removeUpdates(LocationListener listener) {
        synchronized (mListeners) {
            mListeners.remove(listener);
        }
    }

    public void removeUpdates(PendingIntent pendingIntent) {}

    private static LocationRequest request(long minTimeMs, float minDistanceM) {
        return new LocationRequest.Builder(minTimeMs).setMinUpdateDistanceMeters(minDistanceM).build();
    }

    private static LocationRequest singleRequest() {
        return new LocationRequest.Builder(0).setMaxUpdates(1).build();
    }

    private Executor executorFor(Looper looper) {
        Looper l = looper != null ? looper : Looper.myLooper() != null ? Looper.myLooper() : mContext.getMainLooper();
        Handler h = new Handler(l);
        return h::post;
    }
}
