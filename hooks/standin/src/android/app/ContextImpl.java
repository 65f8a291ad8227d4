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

    /** Nothing else runs on the stand-in device: the start is logged, as ActivityTaskManager would. */
    @Override
    public void startActivity(Intent intent) {
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

    /**
     * Only Google Play services' advertising ID service answers (its binder is a placeholder);
     * any other service of another package is absent, as on a device without it.
     */
    @Override
    public boolean bindService(Intent service, ServiceConnection conn, int flags) {
        if (GMS_ADVERTISING_ID_ACTION.equals(service.getAction()) && "com.google.android.gms".equals(service.getPackage())) {
            ComponentName cn = new ComponentName("com.google.android.gms", "com.google.android.gms.ads.identifier.service.AdvertisingIdService");
            mMainThread.getHandler().post(() -> conn.onServiceConnected(cn, new Binder("com.google.android.gms.ads.identifier.internal.IAdvertisingIdService")));
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
