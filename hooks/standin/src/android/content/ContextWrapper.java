package android.content;

import android.content.pm.PackageManager;
import android.os.Bundle;
import android.os.Looper;
import java.util.concurrent.Executor;

public class ContextWrapper extends Context {
    Context mBase;

    public ContextWrapper(Context base) {
        mBase = base;
    }

    protected void attachBaseContext(Context base) {
        if (mBase != null) throw new IllegalStateException("Base context already set");
        mBase = base;
    }

    public Context getBaseContext() {
        return mBase;
    }

    @Override public Object getSystemService(String name) { return mBase.getSystemService(name); }
    @Override public ContentResolver getContentResolver() { return mBase.getContentResolver(); }
    @Override public android.content.res.Resources getResources() { return mBase.getResources(); }
    @Override public PackageManager getPackageManager() { return mBase.getPackageManager(); }
    @Override public SharedPreferences getSharedPreferences(String name, int mode) { return mBase.getSharedPreferences(name, mode); }
    @Override public String getPackageName() { return mBase.getPackageName(); }
    @Override public Context getApplicationContext() { return mBase.getApplicationContext(); }
    @Override public Looper getMainLooper() { return mBase.getMainLooper(); }
    @Override public int checkPermission(String permission, int pid, int uid) { return mBase.checkPermission(permission, pid, uid); }
    @Override public int checkSelfPermission(String permission) { return mBase.checkSelfPermission(permission); }
    @Override public void startActivity(Intent intent) { mBase.startActivity(intent); }
    @Override public void startActivity(Intent intent, Bundle options) { mBase.startActivity(intent, options); }
    @Override public ComponentName startService(Intent service) { return mBase.startService(service); }
    @Override public boolean stopService(Intent service) { return mBase.stopService(service); }
    @Override public boolean bindService(Intent service, ServiceConnection conn, int flags) { return mBase.bindService(service, conn, flags); }
    @Override public boolean bindService(Intent service, int flags, Executor executor, ServiceConnection conn) { return mBase.bindService(service, flags, executor, conn); }
    @Override public boolean bindService(Intent service, ServiceConnection conn, BindServiceFlags flags) { return mBase.bindService(service, conn, flags); }
    @Override public boolean bindService(Intent service, BindServiceFlags flags, Executor executor, ServiceConnection conn) { return mBase.bindService(service, flags, executor, conn); }
    @Override public void unbindService(ServiceConnection conn) { mBase.unbindService(conn); }
    @Override public void sendBroadcast(Intent intent) { mBase.sendBroadcast(intent); }
    @Override public void sendBroadcast(Intent intent, String receiverPermission) { mBase.sendBroadcast(intent, receiverPermission); }
    @Override public void sendBroadcast(Intent intent, String receiverPermission, Bundle options) { mBase.sendBroadcast(intent, receiverPermission, options); }
}
