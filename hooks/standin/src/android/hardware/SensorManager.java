package android.hardware;

import android.os.Handler;
import java.util.ArrayList;
import java.util.List;

/** As in AOSP every public registerListener overload funnels into registerListenerImpl. */
public abstract class SensorManager {
    public static final int SENSOR_DELAY_FASTEST = 0;
    public static final int SENSOR_DELAY_GAME = 1;
    public static final int SENSOR_DELAY_UI = 2;
    public static final int SENSOR_DELAY_NORMAL = 3;
    public static final float GRAVITY_EARTH = 9.80665f;
    /** The pre-API 3 sensor bits of the SensorListener interface. */
    @Deprecated public static final int SENSOR_ORIENTATION = 1 << 0;
    @Deprecated public static final int SENSOR_ACCELEROMETER = 1 << 1;
    @Deprecated public static final int SENSOR_MAGNETIC_FIELD = 1 << 3;
    @Deprecated public static final int SENSOR_LIGHT = 1 << 4;
    @Deprecated public static final int SENSOR_PROXIMITY = 1 << 5;

    /** Hidden. */
    public SensorManager() {}

    protected abstract List<Sensor> getFullSensorList();

    public List<Sensor> getSensorList(int type) {
        List<Sensor> out = new ArrayList<>();
        for (Sensor s : getFullSensorList()) if (type == Sensor.TYPE_ALL || s.getType() == type) out.add(s);
        return out;
    }

    public Sensor getDefaultSensor(int type) {
        for (Sensor s : getFullSensorList()) if (s.getType() == type) return s;
        return null;
    }

    public boolean registerListener(SensorEventListener listener, Sensor sensor, int samplingPeriodUs) {
        return registerListener(listener, sensor, samplingPeriodUs, null);
    }

    public boolean registerListener(SensorEventListener listener, Sensor sensor, int samplingPeriodUs, Handler handler) {
        return registerListenerImpl(listener, sensor, samplingPeriodUs, handler, 0, 0);
    }

    public boolean registerListener(SensorEventListener listener, Sensor sensor, int samplingPeriodUs, int maxReportLatencyUs) {
        return registerListenerImpl(listener, sensor, samplingPeriodUs, null, maxReportLatencyUs, 0);
    }

    public boolean registerListener(SensorEventListener listener, Sensor sensor, int samplingPeriodUs, int maxReportLatencyUs, Handler handler) {
        return registerListenerImpl(listener, sensor, samplingPeriodUs, handler, maxReportLatencyUs, 0);
    }

    @Deprecated
    public boolean registerListener(SensorListener listener, int sensors) {
        return registerListener(listener, sensors, SENSOR_DELAY_NORMAL);
    }

    /**
     * The legacy interface: each requested sensor bit is registered as a SensorEventListener
     * that forwards to it (AOSP's LegacySensorManager does the same), so every registration
     * ends in registerListenerImpl.
     */
    @Deprecated
    public boolean registerListener(SensorListener listener, int sensors, int rate) {
        if (listener == null) return false;
        boolean any = false;
        int[][] legacy = {
            {SENSOR_ACCELEROMETER, Sensor.TYPE_ACCELEROMETER}, {SENSOR_MAGNETIC_FIELD, Sensor.TYPE_MAGNETIC_FIELD},
            {SENSOR_LIGHT, Sensor.TYPE_LIGHT}, {SENSOR_PROXIMITY, Sensor.TYPE_PROXIMITY},
        };
        for (int[] pair : legacy) {
            if ((sensors & pair[0]) == 0) continue;
            Sensor sensor = null;
            for (Sensor s : getFullSensorList()) if (s.getType() == pair[1]) sensor = s;
            if (sensor == null) continue;
            final int bit = pair[0];
            SensorEventListener forward = new SensorEventListener() {
                @Override
                public void onSensorChanged(SensorEvent event) {
                    listener.onSensorChanged(bit, event.values.clone());
                }

                @Override
                public void onAccuracyChanged(Sensor s, int accuracy) {
                    listener.onAccuracyChanged(bit, accuracy);
                }
            };
            any |= registerListenerImpl(forward, sensor, rate, null, 0, 0);
        }
        return any;
    }

    public void unregisterListener(SensorEventListener listener) {
        unregisterListenerImpl(listener, null);
    }

    public void unregisterListener(SensorEventListener listener, Sensor sensor) {
        unregisterListenerImpl(listener, sensor);
    }

    protected abstract boolean registerListenerImpl(SensorEventListener listener, Sensor sensor, int delayUs, Handler handler,
                                                    int maxReportLatencyUs, int reservedFlags);

    protected abstract void unregisterListenerImpl(SensorEventListener listener, Sensor sensor);
}
