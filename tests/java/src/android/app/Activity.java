package android.app;

import android.content.Context;
import android.content.Intent;
import android.os.Bundle;
import android.view.MotionEvent;

/** Activity's lifecycle and input entry points with Android's signatures. */
public class Activity {
    private Context mBase;
    private boolean mResumed;
    int touches;

    public final void attachBaseContext(Context base) {
        mBase = base;
    }

    public Context getBaseContext() {
        return mBase;
    }

    protected void onResume() {
        mResumed = true;
    }

    protected void onPause() {
        mResumed = false;
    }

    final void performResume(boolean followedByPause, String reason) {
        onResume();
    }

    final void performPause() {
        onPause();
    }

    public boolean isResumed() {
        return mResumed;
    }

    public int touchCount() {
        return touches;
    }

    public boolean dispatchTouchEvent(MotionEvent ev) {
        touches++;
        return true;
    }

    public void startActivity(Intent intent) {
        startActivityForResult(intent, -1, null);
    }

    public void startActivityForResult(Intent intent, int requestCode) {
        startActivityForResult(intent, requestCode, null);
    }

    public void startActivityForResult(Intent intent, int requestCode, Bundle options) {
        System.out.println("system: start activity for result " + requestCode + " " + intent);
    }
}
