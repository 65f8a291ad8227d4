package android.app;

import android.content.Context;
import android.content.Intent;
import android.content.pm.PackageManager;
import android.os.Bundle;
import android.util.Log;
import android.view.ContextThemeWrapper;
import android.view.MotionEvent;
import android.view.View;
import android.view.Window;
import android.view.WindowManager;
import android.view.WindowManagerImpl;
import com.android.internal.policy.PhoneWindow;

public class Activity extends ContextThemeWrapper {
    private static final String TAG = "Activity";
    public static final int RESULT_CANCELED = 0;
    public static final int RESULT_OK = -1;
    private static final String REQUEST_PERMISSIONS_WHO_PREFIX = "@android:requestPermissions:";

    private ActivityThread mMainThread;
    private Application mApplication;
    private Intent mIntent;
    private Window mWindow;
    private WindowManager mWindowManager;
    private boolean mHasCurrentPermissionsRequest;
    private boolean mResumed;
    private boolean mFinished;
    private FragmentManagerImpl mFragments;

    public Activity() {}

    final void attach(Context context, ActivityThread aThread, Application application, Intent intent) {
        attachBaseContext(context);
        mMainThread = aThread;
        mApplication = application;
        mIntent = intent;
        mWindowManager = new WindowManagerImpl(this);
        mWindow = new PhoneWindow(this);
        mWindow.setWindowManager(mWindowManager);
    }

    public final Application getApplication() {
        return mApplication;
    }

    public Intent getIntent() {
        return mIntent;
    }

    public Window getWindow() {
        return mWindow;
    }

    public WindowManager getWindowManager() {
        return mWindowManager;
    }

    @Override
    public Object getSystemService(String name) {
        if (WINDOW_SERVICE.equals(name)) return mWindowManager;
        return super.getSystemService(name);
    }

    public void setContentView(View view) {
        mWindow.setContentView(view);
    }

    public final void runOnUiThread(Runnable action) {
        if (mMainThread.getLooper().isCurrentThread()) action.run(); else mMainThread.getHandler().post(action);
    }

    protected void onCreate(Bundle savedInstanceState) {}

    protected void onStart() {}

    protected void onResume() {}

    protected void onPause() {}

    protected void onStop() {}

    protected void onDestroy() {}

    final void performCreate(Bundle icicle) {
        onCreate(icicle);
    }

    final void performStart() {
        onStart();
    }

    final void performResume(boolean followedByPause, String reason) {
        mResumed = true;
        onResume();
    }

    final void performPause() {
        mResumed = false;
        onPause();
    }

    /** Called for every touch before it reaches a view (AOSP: the window's callback). */
    public boolean dispatchTouchEvent(MotionEvent ev) {
        if (ev.getActionMasked() == MotionEvent.ACTION_DOWN) onUserInteraction();
        return onTouchEvent(ev);
    }

    public boolean onTouchEvent(MotionEvent event) {
        return false;
    }

    public void onUserInteraction() {}

    public boolean isFinishing() {
        return mFinished;
    }

    public void finish() {
        mFinished = true;
        if (mResumed) performPause();
        onStop();
        onDestroy();
    }

    /** AOSP: finishes this activity and those below it in the task with the same affinity. */
    public void finishAffinity() {
        finish();
    }

    /** AOSP: finishes this activity and removes its task from the recents. */
    public void finishAndRemoveTask() {
        finish();
    }

    @Override
    public void startActivity(Intent intent) {
        startActivityForResult(intent, -1);
    }

    @Override
    public void startActivity(Intent intent, Bundle options) {
        startActivityForResult(intent, -1, options);
    }

    @Deprecated
    public FragmentManager getFragmentManager() {
        if (mFragments == null) mFragments = new FragmentManagerImpl(this);
        return mFragments;
    }

    public void startActivityForResult(Intent intent, int requestCode) {
        startActivityForResult(intent, requestCode, null);
    }

    public void startActivityForResult(Intent intent, int requestCode, Bundle options) {
        mMainThread.execStartActivity(this, null, intent, requestCode);
    }

    /** Hidden: the "who" form used by requestPermissions. */
    public void startActivityForResult(String who, Intent intent, int requestCode, Bundle options) {
        mMainThread.execStartActivity(this, who, intent, requestCode);
    }

    protected void onActivityResult(int requestCode, int resultCode, Intent data) {}

    public final void requestPermissions(String[] permissions, int requestCode) {
        if (requestCode < 0) throw new IllegalArgumentException("requestCode should be >= 0");
        if (mHasCurrentPermissionsRequest) {
            Log.w(TAG, "Can request only one set of permissions at a time");
            // Dispatch the callback with empty arrays which means a cancellation.
            onRequestPermissionsResult(requestCode, new String[0], new int[0]);
            return;
        }
        final Intent intent = getPackageManager().buildRequestPermissionsIntent(permissions);
        startActivityForResult(REQUEST_PERMISSIONS_WHO_PREFIX, intent, requestCode, null);
        mHasCurrentPermissionsRequest = true;
    }

    /** AOSP reaches this through the fragment host's callbacks; here the fragment calls it directly. */
    void requestPermissionsFromFragment(Fragment fragment, String[] permissions, int requestCode) {
        if (requestCode < 0) throw new IllegalArgumentException("requestCode should be >= 0");
        Intent intent = getPackageManager().buildRequestPermissionsIntent(permissions);
        startActivityForResult(REQUEST_PERMISSIONS_WHO_PREFIX + fragment.mWho, intent, requestCode, null);
    }

    public void onRequestPermissionsResult(int requestCode, String[] permissions, int[] grantResults) {}

    public boolean shouldShowRequestPermissionRationale(String permission) {
        return false;
    }

    void dispatchActivityResult(String who, int requestCode, int resultCode, Intent data, String reason) {
        if (who == null) {
            onActivityResult(requestCode, resultCode, data);
        } else if (who.startsWith(REQUEST_PERMISSIONS_WHO_PREFIX)) {
            String fragmentWho = who.substring(REQUEST_PERMISSIONS_WHO_PREFIX.length());
            if (fragmentWho.isEmpty()) {
                dispatchRequestPermissionsResult(requestCode, data);
            } else {
                Fragment fragment = mFragments != null ? mFragments.findFragmentByWho(fragmentWho) : null;
                if (fragment != null) dispatchRequestPermissionsResultToFragment(requestCode, data, fragment);
            }
        }
    }

    private void dispatchRequestPermissionsResult(int requestCode, Intent data) {
        mHasCurrentPermissionsRequest = false;
        // If the package installer crashed we may have not data - best effort.
        String[] permissions = (data != null) ? data.getStringArrayExtra(PackageManager.EXTRA_REQUEST_PERMISSIONS_NAMES) : new String[0];
        final int[] grantResults = (data != null) ? data.getIntArrayExtra(PackageManager.EXTRA_REQUEST_PERMISSIONS_RESULTS) : new int[0];
        onRequestPermissionsResult(requestCode, permissions, grantResults);
    }

    /** The fragment's answer; no data (the permission UI died) reads as a cancelled request. */
    private void dispatchRequestPermissionsResultToFragment(int requestCode, Intent data, Fragment fragment) {
        String[] names = data == null ? new String[0] : data.getStringArrayExtra(PackageManager.EXTRA_REQUEST_PERMISSIONS_NAMES);
        int[] results = data == null ? new int[0] : data.getIntArrayExtra(PackageManager.EXTRA_REQUEST_PERMISSIONS_RESULTS);
        fragment.onRequestPermissionsResult(requestCode, names, results);
    }
}
