package android.app;

import android.content.ComponentName;
import android.content.ContentResolver;
import android.content.Context;
import android.content.Intent;
import android.content.ServiceConnection;
import android.content.SharedPreferences;
import android.content.pm.PackageManager;
import android.content.res.Resources;
import android.database.Cursor;
import android.net.Uri;
import android.os.Binder;
import android.os.Bundle;
import android.os.Looper;
import android.os.Process;
import android.util.Log;
import com.android.internal.standin.SystemServices;
import java.util.concurrent.Executor;

/** The concrete Context (hidden on Android): the hook target for Context methods. */
class ContextImpl extends Context {
    private static final String TAG = "ContextImpl";
    private static final Resources RESOURCES = new Resources();
    private static final String GMS_ADVERTISING_ID_ACTION = "com.google.android.gms.ads.identifier.service.START";

    final ActivityThread mMainThread;
    private final String mPackageName;
    private final ApplicationContentResolver mContentResolver;
    private PackageManager mPackageManager;

    private ContextImpl(ActivityThread mainThread, String packageName) {
        mMainThread = mainThread;
        mPackageName = packageName;
        mContentResolver = new ApplicationContentResolver(this, mainThread);
    }

    static ContextImpl createAppContext(ActivityThread mainThread, String packageName) {
        return new ContextImpl(mainThread, packageName);
    }

    static ContextImpl createActivityContext(ActivityThread mainThread, String packageName) {
        return new ContextImpl(mainThread, packageName);
    }

    @Override
    public Object getSystemService(String name) {
        return mMainThread.getSystemService(name, this);
    }

    @Override
    public ContentResolver getContentResolver() {
        return mContentResolver;
    }

    @Override
    public Resources getResources() {
        return RESOURCES;
    }

    @Override
    public PackageManager getPackageManager() {
        if (mPackageManager == null) mPackageManager = new ApplicationPackageManager(this);
        return mPackageManager;
    }

    @Override
    public SharedPreferences getSharedPreferences(String name, int mode) {
        return mMainThread.getSharedPreferences(name == null ? "null" : name);
    }

    @Override
    public String getPackageName() {
        return mPackageName;
    }

    @Override
    public Context getApplicationContext() {
        Application app = mMainThread.getApplication();
        return app != null ? app : this;
    }

    @Override
    public Looper getMainLooper() {
        return mMainThread.getLooper();
    }

    @Override
    public int checkPermission(String permission, int pid, int uid) {
        if (permission == null) throw new IllegalArgumentException("permission is null");
        if (pid != Process.myPid() || uid != Process.myUid()) return PackageManager.PERMISSION_DENIED;
        return mMainThread.isPermissionGranted(permission) ? PackageManager.PERMISSION_GRANTED : PackageManager.PERMISSION_DENIED;
    }

    @Override
    public int checkSelfPermission(String permission) {
        if (permission == null) throw new IllegalArgumentException("permission is null");
        return checkPermission(permission, Process.myPid(), Process.myUid());
    }

    /** As in AOSP the one-argument form goes through the options form. */
    @Override
    public void startActivity(Intent intent) {
        startActivity(intent, null);
    }

    /** Nothing else runs on the stand-in device: the start is logged, as ActivityTaskManager would. */
    @Override
    public void startActivity(Intent intent, Bundle options) {
        Log.i("ActivityTaskManager", "START u0 " + intent + " from uid " + Process.myUid());
    }

    @Override
    public ComponentName startService(Intent service) {
        ComponentName cn = service.getComponent();
        if (cn != null && cn.getPackageName().equals(mPackageName)) {
            mMainThread.getHandler().post(() -> mMainThread.startService(cn.getClassName(), service));
            return cn;
        }
        if (cn != null && SystemServices.isExportedServiceOfOtherApp(cn)) {
            // Another installed app's exported service: the system starts that app's process.
            Log.i("ActivityManager", "Start proc for service " + cn.flattenToShortString() + " caller=" + mPackageName);
            return cn;
        }
        Log.w(TAG, "Unable to start service " + service + " U=0: not found");
        return null;
    }

    @Override
    public boolean stopService(Intent service) {
        return false;
    }

    @Override
    public boolean bindService(Intent service, ServiceConnection conn, int flags) {
        return bindServiceCommon(service, conn, flags, null);
    }

    @Override
    public boolean bindService(Intent service, int flags, Executor executor, ServiceConnection conn) {
        return bindServiceCommon(service, conn, flags, executor);
    }

    @Override
    public boolean bindService(Intent service, ServiceConnection conn, BindServiceFlags flags) {
        return bindServiceCommon(service, conn, flags.getValue(), null);
    }

    @Override
    public boolean bindService(Intent service, BindServiceFlags flags, Executor executor, ServiceConnection conn) {
        return bindServiceCommon(service, conn, flags.getValue(), executor);
    }

    /**
     * Every public form ends here, as in AOSP. Only Google Play services' advertising ID
     * service answers (its binder is a placeholder); any other service of another package is
     * absent, as on a device without it. The connection is called on the executor if one was
     * given, else on the main thread.
     */
    private boolean bindServiceCommon(Intent service, ServiceConnection conn, long flags, Executor executor) {
        if (GMS_ADVERTISING_ID_ACTION.equals(service.getAction()) && "com.google.android.gms".equals(service.getPackage())) {
            ComponentName cn = new ComponentName("com.google.android.gms", "com.google.android.gms.ads.identifier.service.AdvertisingIdService");
            Runnable connect = () -> conn.onServiceConnected(cn, new Binder("com.google.android.gms.ads.identifier.internal.IAdvertisingIdService"));
            if (executor != null) executor.execute(connect); else mMainThread.getHandler().post(connect);
            return true;
        }
        Log.w(TAG, "Unable to bind service " + service + ": not found");
        return false;
    }

    @Override
    public void unbindService(ServiceConnection conn) {}

    @Override
    public void sendBroadcast(Intent intent) {
        Log.i("ActivityManager", "broadcast " + intent);
    }

    @Override
    public void sendBroadcast(Intent intent, String receiverPermission) {
        Log.i("ActivityManager", "broadcast " + intent + " requires " + receiverPermission);
    }

    @Override
    public void sendBroadcast(Intent intent, String receiverPermission, Bundle options) {
        Log.i("ActivityManager", "broadcast " + intent + " requires " + receiverPermission);
    }

    private static final class ApplicationContentResolver extends ContentResolver {
        private final ActivityThread mMainThread;

        ApplicationContentResolver(Context context, ActivityThread mainThread) {
            super(context);
            mMainThread = mainThread;
        }

        @Override
        protected Cursor queryProvider(Uri uri, String[] projection, Bundle queryArgs) {
            return mMainThread.queryProvider(uri, projection);
        }
    }
}
