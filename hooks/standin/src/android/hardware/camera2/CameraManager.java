package android.hardware.camera2;

import android.content.Context;
import android.os.Handler;
import android.os.Looper;
import java.util.concurrent.Executor;

public final class CameraManager {
    private final Context mContext;

    /** Hidden constructor used by the system service registry. */
    public CameraManager(Context context) {
        mContext = context;
    }

    public String[] getCameraIdList() {
        return new String[] {"0", "1"};
    }

    public void openCamera(String cameraId, CameraDevice.StateCallback callback, Handler handler) {
        Handler h = handler != null ? handler : new Handler(Looper.getMainLooper() != null ? Looper.getMainLooper() : mContext.getMainLooper());
        openCamera(cameraId, (Executor) h::post, callback);
    }

    public void openCamera(String cameraId, Executor executor, CameraDevice.StateCallback callback) {
        if (cameraId == null || executor == null || callback == null) throw new IllegalArgumentException("cameraId, executor and callback must not be null");
        final CameraDevice device = new CameraDevice() {
            @Override public String getId() { return cameraId; }

            @Override public void close() { executor.execute(() -> callback.onClosed(this)); }
        };
        executor.execute(() -> callback.onOpened(device));
    }
}
