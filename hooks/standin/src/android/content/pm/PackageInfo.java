package android.content.pm;

public class PackageInfo {
    public String packageName;
    public String versionName;
    @Deprecated
    public int versionCode;
    public long firstInstallTime;
    public long lastUpdateTime;
    public ApplicationInfo applicationInfo;
    public String[] requestedPermissions;

    public PackageInfo() {}

    public long getLongVersionCode() { return versionCode; }

    @Override public String toString() { return "PackageInfo{" + packageName + " " + versionName + "}"; }
}
