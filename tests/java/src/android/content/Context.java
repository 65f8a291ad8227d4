package android.content;

/** Abstract, as on Android: the concrete work happens in android.app.ContextImpl. */
public abstract class Context {
    public abstract void startActivity(Intent intent);

    public abstract ComponentName startService(Intent service);

    public abstract boolean bindService(Intent service, ServiceConnection conn, int flags);

    public abstract void sendBroadcast(Intent intent);

    public abstract String getPackageName();
}
