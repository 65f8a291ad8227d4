package android.os;

public class Binder implements IBinder {
    private final String mDescriptor;

    public Binder() { this(null); }

    public Binder(String descriptor) { mDescriptor = descriptor; }

    @Override public String getInterfaceDescriptor() { return mDescriptor; }

    @Override public boolean isBinderAlive() { return true; }

    public static final int getCallingPid() { return Process.myPid(); }

    public static final int getCallingUid() { return Process.myUid(); }
}
