package android.hardware.camera2;

public abstract class CameraDevice implements AutoCloseable {
    public CameraDevice() {}

    public abstract String getId();

    @Override
    public abstract void close();

    public abstract static class StateCallback {
        public StateCallback() {}

        public abstract void onOpened(CameraDevice camera);

        public void onClosed(CameraDevice camera) {}

        public abstract void onDisconnected(CameraDevice camera);

        public abstract void onError(CameraDevice camera, int error);
    }
}
