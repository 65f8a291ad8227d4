package android.content;

public final class ComponentName {
    private final String mPackage;
    private final String mClass;

    public ComponentName(String pkg, String cls) {
        mPackage = pkg;
        mClass = cls;
    }

    public String getPackageName() {
        return mPackage;
    }

    public String getClassName() {
        return mClass;
    }

    public String flattenToShortString() {
        return mPackage + "/" + mClass;
    }
}
