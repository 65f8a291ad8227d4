package android.content.pm;

public class ResolveInfo {
    public ActivityInfo activityInfo;
    public ServiceInfo serviceInfo;
    public int priority;
    public boolean isDefault;

    public ResolveInfo() {}

    public CharSequence loadLabel(PackageManager pm) {
        return activityInfo != null ? activityInfo.loadLabel(pm) : serviceInfo != null ? serviceInfo.loadLabel(pm) : null;
    }

    @Override public String toString() {
        return "ResolveInfo{" + (activityInfo != null ? activityInfo : serviceInfo) + "}";
    }
}
