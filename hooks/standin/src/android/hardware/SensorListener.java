package android.hardware;

/** The pre-API 3 sensor callback, still accepted by SensorManager.registerListener. */
@Deprecated
public interface SensorListener {
    void onSensorChanged(int sensor, float[] values);

    void onAccuracyChanged(int sensor, int accuracy);
}
