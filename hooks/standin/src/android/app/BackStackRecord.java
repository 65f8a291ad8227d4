package android.app;

import java.util.ArrayList;
import java.util.List;

/** One fragment transaction (hidden): its operations run together when it is committed. */
final class BackStackRecord extends FragmentTransaction {
    private final FragmentManagerImpl mManager;
    private final List<Runnable> mOps = new ArrayList<>();
    private boolean mCommitted;

    BackStackRecord(FragmentManagerImpl manager) {
        mManager = manager;
    }

    @Override
    public FragmentTransaction add(Fragment fragment, String tag) {
        mOps.add(() -> mManager.addFragment(fragment, tag));
        return this;
    }

    @Override
    public FragmentTransaction remove(Fragment fragment) {
        mOps.add(() -> mManager.removeFragment(fragment));
        return this;
    }

    @Override
    public int commit() {
        markCommitted();
        mManager.schedule(this::run);
        return -1;
    }

    @Override
    public void commitNow() {
        markCommitted();
        run();
    }

    private void markCommitted() {
        if (mCommitted) throw new IllegalStateException("commit already called");
        mCommitted = true;
    }

    private void run() {
        for (Runnable op : mOps) op.run();
    }
}
