package android.app;

import android.content.Context;
import android.content.ContextWrapper;
import android.content.Intent;
import android.os.IBinder;

public abstract class Service extends ContextWrapper {
    public static final int START_STICKY_COMPATIBILITY = 0;
    public static final int START_STICKY = 1;
    public static final int START_NOT_STICKY = 2;
    public static final int START_REDELIVER_INTENT = 3;

    private ActivityThread mThread;
    private String mClassName;
    private Application mApplication;

    public Service() {
        super(null);
    }

    final void attach(Context context, ActivityThread thread, String className, Application application) {
        attachBaseContext(context);
        mThread = thread;
        mClassName = className;
        mApplication = application;
    }

    public final Application getApplication() {
        return mApplication;
    }

    public void onCreate() {}

    public int onStartCommand(Intent intent, int flags, int startId) {
        return START_STICKY;
    }

    public abstract IBinder onBind(Intent intent);

    public boolean onUnbind(Intent intent) {
        return false;
    }

    public void onDestroy() {}

    public final void stopSelf() {
        if (mThread != null) mThread.stopServiceLocal(this);
    }
}
