package android.os;

public interface IBinder {
    String getInterfaceDescriptor();

    boolean isBinderAlive();
}
