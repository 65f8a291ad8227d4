package android.hardware;

import android.content.Context;
import android.os.Handler;
import android.os.Looper;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** The concrete SensorManager (hidden): a registered listener gets one reading, posted to its handler. */
public class SystemSensorManager extends SensorManager {
    private static final List<Sensor> SENSORS = Arrays.asList(
            new Sensor(Sensor.TYPE_ACCELEROMETER, "BMI260 Accelerometer", "Bosch"),
            new Sensor(Sensor.TYPE_GYROSCOPE, "BMI260 Gyroscope", "Bosch"),
            new Sensor(Sensor.TYPE_MAGNETIC_FIELD, "MMC56X3X Magnetometer", "memsic"),
            new Sensor(Sensor.TYPE_LIGHT, "TMD3719 Ambient Light", "AMS"),
            new Sensor(Sensor.TYPE_PROXIMITY, "TMD3719 Proximity", "AMS"),
            new Sensor(Sensor.TYPE_STEP_COUNTER, "Step Counter", "Google"));

    private final Context mContext;
    private final List<SensorEventListener> mListeners = new ArrayList<>();

    public SystemSensorManager(Context context, Looper mainLooper) {
        mContext = context;
    }

    @Override
    protected List<Sensor> getFullSensorList() {
        return SENSORS;
    }

    @Override
    protected boolean registerListenerImpl(SensorEventListener listener, Sensor sensor, int delayUs, Handler handler,
                                           int maxReportLatencyUs, int reservedFlags) {
        if (listener == null || sensor == null) return false;
        synchronized (mListeners) {
            mListeners.add(listener);
        }
        final SensorEvent event = new SensorEvent(3);
        event.sensor = sensor;
        event.timestamp = System.nanoTime();
        event.accuracy = 3;
        if (sensor.getType() == Sensor.TYPE_ACCELEROMETER) event.values[2] = GRAVITY_EARTH;
        Handler h = handler != null ? handler : new Handler(Looper.getMainLooper() != null ? Looper.getMainLooper() : mContext.getMainLooper());
        h.post(() -> {
            synchronized (mListeners) {
                if (!mListeners.contains(listener)) return;
            }
            listener.onSensorChanged(event);
        });
        return true;
    }

    @Override
    protected void unregisterListenerImpl(SensorEventListener listener, Sensor sensor) {
        synchronized (mListeners) {
            mListeners.remove(listener);
        }
    }
}
