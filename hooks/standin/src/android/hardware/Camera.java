package android.hardware;

/** The deprecated camera API: open() hands out the device until release(). */
@Deprecated
public class Camera {
    private static final int NUMBER_OF_CAMERAS = 2;
    private static final boolean[] sOpen = new boolean[NUMBER_OF_CAMERAS];

    private final int mCameraId;
    private boolean mPreviewing;

    Camera(int cameraId) {
        mCameraId = cameraId;
    }

    public static int getNumberOfCameras() {
        return NUMBER_OF_CAMERAS;
    }

    public static Camera open(int cameraId) {
        if (cameraId < 0 || cameraId >= NUMBER_OF_CAMERAS) throw new RuntimeException("Unknown camera ID");
        synchronized (sOpen) {
            if (sOpen[cameraId]) throw new RuntimeException("Fail to connect to camera service");
            sOpen[cameraId] = true;
        }
        return new Camera(cameraId);
    }

    public static Camera open() {
        return open(0);
    }

    public final void startPreview() {
        mPreviewing = true;
    }

    public final void stopPreview() {
        mPreviewing = false;
    }

    public final void release() {
        synchronized (sOpen) {
            sOpen[mCameraId] = false;
        }
    }
}
