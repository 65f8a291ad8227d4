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
