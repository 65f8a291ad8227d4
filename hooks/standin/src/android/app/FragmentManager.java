package android.app;

/** Deprecated in API 28 with Fragment; the operations SDKs use to add a headless fragment. */
@Deprecated
public abstract class FragmentManager {
    public FragmentManager() {}

    public abstract FragmentTransaction beginTransaction();

    public abstract boolean executePendingTransactions();

    public abstract Fragment findFragmentByTag(String tag);
}
