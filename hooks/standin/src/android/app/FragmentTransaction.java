package android.app;

@Deprecated
public abstract class FragmentTransaction {
    public FragmentTransaction() {}

    public abstract FragmentTransaction add(Fragment fragment, String tag);

    public abstract FragmentTransaction remove(Fragment fragment);

    public abstract int commit();

    public abstract void commitNow();
}
