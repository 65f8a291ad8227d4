package android.content.pm;

import android.content.Intent;
import android.util.AndroidException;
import java.util.List;

public abstract class PackageManager {
    public static final int PERMISSION_GRANTED = 0;
    public static final int PERMISSION_DENIED = -1;

    public static final int GET_ACTIVITIES = 0x00000001;
    public static final int GET_SERVICES = 0x00000004;
    public static final int GET_META_DATA = 0x00000080;
    public static final int GET_PERMISSIONS = 0x00001000;
    public static final int MATCH_DEFAULT_ONLY = 0x00010000;
    public static final int MATCH_ALL = 0x00020000;

    public static final String ACTION_REQUEST_PERMISSIONS = "android.content.pm.action.REQUEST_PERMISSIONS";
    public static final String EXTRA_REQUEST_PERMISSIONS_NAMES = "android.content.pm.extra.REQUEST_PERMISSIONS_NAMES";
    public static final String EXTRA_REQUEST_PERMISSIONS_RESULTS = "android.content.pm.extra.REQUEST_PERMISSIONS_RESULTS";

    public PackageManager() {}

    public abstract List<PackageInfo> getInstalledPackages(int flags);

    public List<PackageInfo> getInstalledPackages(PackageInfoFlags flags) {
        throw new UnsupportedOperationException("getInstalledPackages not implemented in subclass");
    }

    public abstract List<ApplicationInfo> getInstalledApplications(int flags);

    public List<ApplicationInfo> getInstalledApplications(ApplicationInfoFlags flags) {
        throw new UnsupportedOperationException("getInstalledApplications not implemented in subclass");
    }

    public abstract List<ResolveInfo> queryIntentActivities(Intent intent, int flags);

    public List<ResolveInfo> queryIntentActivities(Intent intent, ResolveInfoFlags flags) {
        throw new UnsupportedOperationException("queryIntentActivities not implemented in subclass");
    }

    public abstract List<ResolveInfo> queryIntentServices(Intent intent, int flags);

    public List<ResolveInfo> queryIntentServices(Intent intent, ResolveInfoFlags flags) {
        throw new UnsupportedOperationException("queryIntentServices not implemented in subclass");
    }

    public abstract List<ResolveInfo> queryBroadcastReceivers(Intent intent, int flags);

    public List<ResolveInfo> queryBroadcastReceivers(Intent intent, ResolveInfoFlags flags) {
        throw new UnsupportedOperationException("queryBroadcastReceivers not implemented in subclass");
    }

    public abstract PackageInfo getPackageInfo(String packageName, int flags) throws NameNotFoundException;

    public PackageInfo getPackageInfo(String packageName, PackageInfoFlags flags) throws NameNotFoundException {
        throw new UnsupportedOperationException("getPackageInfo not implemented in subclass");
    }

    public abstract ApplicationInfo getApplicationInfo(String packageName, int flags) throws NameNotFoundException;

    public ApplicationInfo getApplicationInfo(String packageName, ApplicationInfoFlags flags) throws NameNotFoundException {
        throw new UnsupportedOperationException("getApplicationInfo not implemented in subclass");
    }

    @Deprecated
    public abstract String getInstallerPackageName(String packageName);

    public abstract int checkPermission(String permName, String packageName);

    /** Hidden API used by Activity.requestPermissions. */
    public Intent buildRequestPermissionsIntent(String[] permissions) {
        if (permissions == null || permissions.length == 0) throw new IllegalArgumentException("permission cannot be null or empty");
        Intent intent = new Intent(ACTION_REQUEST_PERMISSIONS);
        intent.putExtra(EXTRA_REQUEST_PERMISSIONS_NAMES, permissions);
        intent.setPackage("com.android.permissioncontroller");
        return intent;
    }

    public static class NameNotFoundException extends AndroidException {
        public NameNotFoundException() {}

        public NameNotFoundException(String name) { super(name); }
    }

    /** API 33 flag wrappers. */
    public static final class PackageInfoFlags {
        private final long mValue;

        private PackageInfoFlags(long value) { mValue = value; }

        public static PackageInfoFlags of(long value) { return new PackageInfoFlags(value); }

        public long getValue() { return mValue; }
    }

    public static final class ResolveInfoFlags {
        private final long mValue;

        private ResolveInfoFlags(long value) { mValue = value; }

        public static ResolveInfoFlags of(long value) { return new ResolveInfoFlags(value); }

        public long getValue() { return mValue; }
    }

    public static final class ApplicationInfoFlags {
        private final long mValue;

        private ApplicationInfoFlags(long value) { mValue = value; }

        public static ApplicationInfoFlags of(long value) { return new ApplicationInfoFlags(value); }

        public long getValue() { return mValue; }
    }
}
