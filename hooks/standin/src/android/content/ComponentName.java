package android.content;

import java.util.Objects;

public final class ComponentName {
    private final String mPackage;
    private final String mClass;

    public ComponentName(String pkg, String cls) {
        mPackage = Objects.requireNonNull(pkg, "package name is null");
        mClass = Objects.requireNonNull(cls, "class name is null");
    }

    public ComponentName(Context pkg, String cls) {
        this(pkg.getPackageName(), cls);
    }

    public ComponentName(Context pkg, Class<?> cls) {
        this(pkg.getPackageName(), cls.getName());
    }

    public String getPackageName() { return mPackage; }

    public String getClassName() { return mClass; }

    public String flattenToString() { return mPackage + "/" + mClass; }

    public String flattenToShortString() {
        return mClass.startsWith(mPackage + ".") ? mPackage + "/" + mClass.substring(mPackage.length()) : flattenToString();
    }

    @Override public boolean equals(Object o) {
        return o instanceof ComponentName && ((ComponentName) o).mPackage.equals(mPackage) && ((ComponentName) o).mClass.equals(mClass);
    }

    @Override public int hashCode() { return mPackage.hashCode() + mClass.hashCode(); }

    @Override public String toString() { return "ComponentInfo{" + flattenToString() + "}"; }
}
