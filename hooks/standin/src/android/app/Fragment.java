package android.app;

import android.content.Context;
import android.content.Intent;
import android.os.Bundle;

/**
 * The framework Fragment (deprecated in API 28, still how some SDKs get an invisible
 * foothold in the app's activity): attach, lifecycle callbacks and runtime permissions,
 * whose results Activity routes back to the fragment by its "who" name.
 */
@Deprecated
public class Fragment {
    Activity mActivity;
    String mWho;
    String mTag;
    boolean mAdded;

    public Fragment() {}

    public final Activity getActivity() {
        return mActivity;
    }

    public Context getContext() {
        return mActivity;
    }

    public final String getTag() {
        return mTag;
    }

    public final boolean isAdded() {
        return mActivity != null && mAdded;
    }

    public void onAttach(Context context) {
        if (mActivity != null) onAttach(mActivity);
    }

    @Deprecated
    public void onAttach(Activity activity) {}

    public void onCreate(Bundle savedInstanceState) {}

    public void onDestroy() {}

    public void onDetach() {}

    public void startActivity(Intent intent) {
        startActivity(intent, null);
    }

    public void startActivity(Intent intent, Bundle options) {
        if (mActivity == null) throw new IllegalStateException("Fragment " + this + " not attached to Activity");
        mActivity.startActivity(intent, options);
    }

    public final void requestPermissions(String[] permissions, int requestCode) {
        if (mActivity == null) throw new IllegalStateException("Fragment " + this + " not attached to Activity");
        mActivity.requestPermissionsFromFragment(this, permissions, requestCode);
    }

    public void onRequestPermissionsResult(int requestCode, String[] permissions, int[] grantResults) {}

    /** As Activity's: the stand-in user has never refused with "don't ask again". */
    public boolean shouldShowRequestPermissionRationale(String permission) {
        return false;
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "{" + Integer.toHexString(System.identityHashCode(this))
                + (mWho != null ? " " + mWho : "") + (mTag != null ? " " + mTag : "") + "}";
    }
}
