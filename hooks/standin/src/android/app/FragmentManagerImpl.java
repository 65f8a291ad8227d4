package android.app;

import android.content.Context;
import android.os.Handler;
import java.util.ArrayList;
import java.util.List;

/**
 * The activity's fragments (hidden). A commit runs on the main thread later, commitNow at
 * once, as in AOSP. Fragments have no views on the stand-in: adding one attaches it and
 * runs onAttach and onCreate; removing it runs onDestroy and onDetach.
 */
final class FragmentManagerImpl extends FragmentManager {
    private final Activity mActivity;
    private final List<Fragment> mAdded = new ArrayList<>();
    private final List<Runnable> mPending = new ArrayList<>();
    private int mNextIndex;

    FragmentManagerImpl(Activity activity) {
        mActivity = activity;
    }

    @Override
    public FragmentTransaction beginTransaction() {
        return new BackStackRecord(this);
    }

    @Override
    public boolean executePendingTransactions() {
        List<Runnable> run;
        synchronized (mPending) {
            run = new ArrayList<>(mPending);
            mPending.clear();
        }
        for (Runnable r : run) r.run();
        return !run.isEmpty();
    }

    @Override
    public Fragment findFragmentByTag(String tag) {
        for (Fragment f : mAdded) if (tag != null && tag.equals(f.mTag)) return f;
        return null;
    }

    Fragment findFragmentByWho(String who) {
        for (Fragment f : mAdded) if (who.equals(f.mWho)) return f;
        return null;
    }

    void schedule(Runnable ops) {
        synchronized (mPending) {
            mPending.add(ops);
        }
        new Handler(mActivity.getMainLooper()).post(this::executePendingTransactions);
    }

    void addFragment(Fragment fragment, String tag) {
        if (fragment.mActivity != null) throw new IllegalStateException("Fragment already added: " + fragment);
        fragment.mActivity = mActivity;
        fragment.mTag = tag;
        fragment.mWho = "android:fragment:" + mNextIndex++;
        fragment.mAdded = true;
        mAdded.add(fragment);
        fragment.onAttach((Context) mActivity); // the Context form, which calls the Activity one
        fragment.onCreate(null);
    }

    void removeFragment(Fragment fragment) {
        if (!mAdded.remove(fragment)) return;
        fragment.onDestroy();
        fragment.onDetach();
        fragment.mAdded = false;
        fragment.mActivity = null;
    }
}
