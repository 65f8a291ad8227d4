package android.app;

import android.content.ClipboardManager;
import android.content.Context;
import android.content.Intent;
import android.content.SharedPreferences;
import android.content.pm.PackageManager;
import android.database.Cursor;
import android.location.LocationManager;
import android.net.Uri;
import android.net.wifi.WifiManager;
import android.os.Handler;
import android.os.Looper;
import android.os.SystemClock;
import android.telephony.TelephonyManager;
import android.util.Log;
import android.view.MotionEvent;
import android.view.WindowManagerImpl;
import com.android.internal.standin.ContentProviders;
import com.android.internal.standin.SystemServices;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The app process's main thread, plus the little of system_server the stand-in needs:
 * it binds the Application, launches activities and services, owns the system service
 * objects, and plays PermissionController (every runtime permission asked for is granted,
 * unless listed in -Dstandin.permissions.deny=a,b, after a short delay).
 */
public final class ActivityThread {
    private static final String TAG = "ActivityThread";
    /** How long the stand-in "user" takes to answer the system permission dialog. */
    static final long PERMISSION_ANSWER_DELAY_MS = 300;
    private static final Set<String> INSTALL_TIME_PERMISSIONS = new HashSet<>(Arrays.asList(
            "android.permission.INTERNET", "android.permission.ACCESS_NETWORK_STATE",
            "android.permission.ACCESS_WIFI_STATE", "android.permission.CHANGE_WIFI_STATE",
            "android.permission.WAKE_LOCK", "android.permission.VIBRATE",
            "android.permission.RECEIVE_BOOT_COMPLETED", "android.permission.FOREGROUND_SERVICE"));

    private static volatile ActivityThread sCurrentActivityThread;

    private final Looper mLooper;
    private final Handler mH;
    private String mPackageName;
    private Application mInitialApplication;
    private final Set<String> mGrantedPermissions = new HashSet<>(INSTALL_TIME_PERMISSIONS);
    private final Map<String, Object> mSystemServices = new HashMap<>();
    private final Map<String, SharedPreferencesImpl> mSharedPrefs = new HashMap<>();
    private final List<Activity> mActivities = new ArrayList<>();
    private final Map<String, Service> mServices = new HashMap<>();
    private int mNextStartId = 1;

    private ActivityThread() {
        if (Looper.getMainLooper() == null) Looper.prepareMainLooper();
        mLooper = Looper.getMainLooper();
        mH = new Handler(mLooper);
    }

    /** Creates the process's main thread object (on the calling thread, which becomes "main"). */
    public static synchronized ActivityThread systemMain() {
        if (sCurrentActivityThread == null) {
            sCurrentActivityThread = new ActivityThread();
            com.android.internal.standin.screen.ScreenServer.startIfRequested();
        }
        return sCurrentActivityThread;
    }

    public static ActivityThread currentActivityThread() {
        return sCurrentActivityThread;
    }

    public static Application currentApplication() {
        ActivityThread am = currentActivityThread();
        return am != null ? am.mInitialApplication : null;
    }

    public static String currentPackageName() {
        ActivityThread am = currentActivityThread();
        return am != null ? am.mPackageName : null;
    }

    /** The package, or "package:name" in a secondary process (started with -Dpiiaudit.process=...). */
    public static String currentProcessName() {
        String named = System.getProperty("piiaudit.process");
        return named != null && !named.isEmpty() ? named : currentPackageName();
    }

    public Looper getLooper() {
        return mLooper;
    }

    public Handler getHandler() {
        return mH;
    }

    public Application getApplication() {
        return mInitialApplication;
    }

    /** Runs posted work (dialog button handlers, permission results, ...) until none is left. */
    public void runUntilIdle() {
        mLooper.runUntilIdle();
    }

    /** handleBindApplication: creates the app's Context and Application, then Application.onCreate. */
    public Application bindApplication(String packageName, String applicationClassName) {
        if (mInitialApplication != null) throw new IllegalStateException("application already bound");
        mPackageName = packageName;
        ContextImpl appContext = ContextImpl.createAppContext(this, packageName);
        Application app = (Application) instantiate(applicationClassName);
        app.attach(appContext);
        mInitialApplication = app;
        app.onCreate();
        return app;
    }

    /** performLaunchActivity + handleResumeActivity. */
    public Activity launchActivity(String className) {
        ContextImpl context = ContextImpl.createActivityContext(this, mPackageName);
        Activity activity = (Activity) instantiate(className);
        activity.attach(context, this, mInitialApplication, new Intent().setClassName(mPackageName, className));
        mActivities.add(activity);
        activity.performCreate(null);
        activity.performStart();
        activity.performResume(false, "LAUNCH_ACTIVITY");
        return activity;
    }

    /** handlePauseActivity: the activity leaves the foreground (the user went home). */
    public void pauseActivity(Activity activity) {
        activity.performPause();
    }

    /** handleResumeActivity for an activity that was paused. */
    public void resumeActivity(Activity activity) {
        activity.performResume(false, "RESUME_ACTIVITY");
    }

    /** A tap at (x, y) as the input dispatcher delivers it: ACTION_DOWN, then ACTION_UP 60 ms later. */
    public void tap(Activity activity, float x, float y) {
        long down = SystemClock.uptimeMillis();
        activity.dispatchTouchEvent(MotionEvent.obtain(down, down, MotionEvent.ACTION_DOWN, x, y, 0));
        SystemClock.sleep(60);
        activity.dispatchTouchEvent(MotionEvent.obtain(down, SystemClock.uptimeMillis(), MotionEvent.ACTION_UP, x, y, 0));
    }

    /** handleCreateService + handleServiceArgs. */
    public Service startService(String className, Intent intent) {
        Service service = mServices.get(className);
        if (service == null) {
            ContextImpl context = ContextImpl.createAppContext(this, mPackageName);
            service = (Service) instantiate(className);
            service.attach(context, this, className, mInitialApplication);
            mServices.put(className, service);
            service.onCreate();
        }
        service.onStartCommand(intent, 0, mNextStartId++);
        return service;
    }

    void stopServiceLocal(Service service) {
        if (mServices.values().remove(service)) service.onDestroy();
    }

    public List<Activity> getActivities() {
        return new ArrayList<>(mActivities);
    }

    boolean isPermissionGranted(String permission) {
        synchronized (mGrantedPermissions) {
            return mGrantedPermissions.contains(permission);
        }
    }

    /** Instrumentation.execStartActivity: only the permission request has a receiver on the stand-in. */
    void execStartActivity(Activity who, String target, Intent intent, int requestCode) {
        if (PackageManager.ACTION_REQUEST_PERMISSIONS.equals(intent.getAction())) {
            final String[] names = intent.getStringArrayExtra(PackageManager.EXTRA_REQUEST_PERMISSIONS_NAMES);
            if (com.android.internal.standin.screen.ScreenDevice.userOnScreen()) {
                askOnScreen(who, target, intent, requestCode, names);
                return;
            }
            deliverPermissionResults(who, target, requestCode, names, answerPermissionRequest(names));
            return;
        }
        Log.i("ActivityTaskManager", "START u0 " + intent + " from " + who.getClass().getName());
        if (requestCode >= 0) {
            mH.post(() -> who.dispatchActivityResult(target, requestCode, Activity.RESULT_CANCELED, null, "ACTIVITY_RESULT"));
        }
    }

    /** The permission controller's answer reaches the activity a moment later, as on a device. */
    private void deliverPermissionResults(Activity who, String target, int requestCode, String[] names, int[] results) {
        mH.postDelayed(() -> {
            Intent data = new Intent();
            data.putExtra(PackageManager.EXTRA_REQUEST_PERMISSIONS_NAMES, names);
            data.putExtra(PackageManager.EXTRA_REQUEST_PERMISSIONS_RESULTS, results);
            who.dispatchActivityResult(target, requestCode, Activity.RESULT_OK, data, "ACTIVITY_RESULT");
        }, PERMISSION_ANSWER_DELAY_MS);
    }

    /**
     * With -Dstandin.user=device the system asks on screen: the permission controller's window
     * waits for a tap on its buttons (PermissionPrompt); permissions already granted are not
     * asked again. The result reaches the activity as the scripted answer does.
     */
    private void askOnScreen(Activity who, String target, Intent intent, int requestCode, String[] names) {
        int[] scripted = answerPermissionRequestDryRun(names);
        java.util.List<Integer> ask = new java.util.ArrayList<>();
        for (int i = 0; i < names.length; i++) if (!isPermissionGranted(names[i])) ask.add(i);
        String[] askNames = new String[ask.size()];
        int[] askFallback = new int[ask.size()];
        for (int k = 0; k < ask.size(); k++) {
            askNames[k] = names[ask.get(k)];
            askFallback[k] = scripted[ask.get(k)];
        }
        com.android.internal.standin.screen.PermissionPrompt.show(
                com.android.internal.standin.screen.ScreenDevice.appLabel(), askNames, askFallback, answered -> {
                    int[] results = new int[names.length];
                    for (int i = 0; i < names.length; i++) results[i] = PackageManager.PERMISSION_GRANTED;
                    synchronized (mGrantedPermissions) {
                        for (int k = 0; k < askNames.length; k++) {
                            results[ask.get(k)] = answered[k];
                            if (answered[k] == PackageManager.PERMISSION_GRANTED) mGrantedPermissions.add(askNames[k]);
                        }
                    }
                    deliverPermissionResults(who, target, requestCode, names, results);
                }, mH, com.android.internal.standin.screen.ScreenDevice.answerWaitMs());
    }

    /** What the scripted user would answer (-Dstandin.permissions.deny), without granting anything. */
    private int[] answerPermissionRequestDryRun(String[] names) {
        Set<String> deny = new HashSet<>();
        String raw = System.getProperty("standin.permissions.deny", "");
        for (String p : raw.split(",")) if (!p.isBlank()) deny.add(p.trim());
        int[] results = new int[names.length];
        for (int i = 0; i < names.length; i++) {
            results[i] = deny.contains(names[i]) ? PackageManager.PERMISSION_DENIED : PackageManager.PERMISSION_GRANTED;
        }
        return results;
    }

    private int[] answerPermissionRequest(String[] names) {
        Set<String> deny = new HashSet<>();
        String raw = System.getProperty("standin.permissions.deny", "");
        for (String p : raw.split(",")) if (!p.isBlank()) deny.add(p.trim());
        int[] results = new int[names.length];
        synchronized (mGrantedPermissions) {
            for (int i = 0; i < names.length; i++) {
                boolean granted = !deny.contains(names[i]);
                results[i] = granted ? PackageManager.PERMISSION_GRANTED : PackageManager.PERMISSION_DENIED;
                if (granted) mGrantedPermissions.add(names[i]);
            }
        }
        return results;
    }

    Object getSystemService(String name, ContextImpl context) {
        if (name == null) return null;
        if ("window".equals(name)) return new WindowManagerImpl(context);
        synchronized (mSystemServices) {
            Object service = mSystemServices.get(name);
            if (service == null && !mSystemServices.containsKey(name)) {
                service = createSystemService(name, context);
                mSystemServices.put(name, service);
            }
            return service;
        }
    }

    private Object createSystemService(String name, ContextImpl context) {
        Context app = mInitialApplication != null ? mInitialApplication : context;
        switch (name) {
            case "phone": return new TelephonyManager(app);
            case "wifi": return new WifiManager(app);
            case "location": return new LocationManager(app);
            case "clipboard": return new ClipboardManager(app);
            default: return SystemServices.create(name, app);
        }
    }

    SharedPreferences getSharedPreferences(String name) {
        synchronized (mSharedPrefs) {
            return mSharedPrefs.computeIfAbsent(name, SharedPreferencesImpl::new);
        }
    }

    Cursor queryProvider(Uri uri, String[] projection) {
        return ContentProviders.query(uri, projection);
    }

    private static Object instantiate(String className) {
        try {
            return Class.forName(className).getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new RuntimeException("Unable to instantiate " + className + ": " + e, e);
        }
    }
}
