package android.content.pm;

public class ApplicationInfo extends PackageItemInfo {
    public static final int FLAG_SYSTEM = 1 << 0;
    public static final int FLAG_UPDATED_SYSTEM_APP = 1 << 7;

    public int flags;
    public int uid;
    public int targetSdkVersion;
    public String processName;
    public String sourceDir;
    public String dataDir;
    public boolean enabled = true;

    public ApplicationInfo() {}

    public ApplicationInfo(ApplicationInfo orig) {
        super(orig);
        flags = orig.flags;
        uid = orig.uid;
        targetSdkVersion = orig.targetSdkVersion;
        processName = orig.processName;
        sourceDir = orig.sourceDir;
        dataDir = orig.dataDir;
        enabled = orig.enabled;
    }

    @Override public String toString() { return "ApplicationInfo{" + packageName + "}"; }
}
