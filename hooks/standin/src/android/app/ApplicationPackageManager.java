package android.app;

import android.content.Intent;
import android.content.pm.ActivityInfo;
import android.content.pm.ApplicationInfo;
import android.content.pm.PackageInfo;
import android.content.pm.PackageManager;
import android.content.pm.ResolveInfo;
import android.content.pm.ServiceInfo;
import com.android.internal.standin.DeviceValues;
import java.util.ArrayList;
import java.util.List;

/**
 * The concrete PackageManager (hidden on Android, the hook target). As in AOSP the
 * int-flag overloads delegate to the API 33 flag-object overloads and then to *AsUser.
 * Installed third-party apps are the device profile's installed_apps.
 */
public class ApplicationPackageManager extends PackageManager {
    private static final String[][] KNOWN_APPS = {
        {"com.tencent.mm", "微信", "8.0.49"},
        {"com.eg.android.AlipayGphone", "支付宝", "10.5.86"},
        {"com.sina.weibo", "微博", "14.6.0"},
        {"com.taobao.taobao", "淘宝", "10.35.0"},
        {"com.ss.android.ugc.aweme", "抖音", "29.9.0"},
    };
    private static final String[] SYSTEM_PACKAGES = {"android", "com.android.settings", "com.android.permissioncontroller"};

    private final ContextImpl mContext;

    ApplicationPackageManager(ContextImpl context) {
        mContext = context;
    }

    public int getUserId() {
        return 0;
    }

    @Override
    public List<PackageInfo> getInstalledPackages(int flags) {
        return getInstalledPackages(PackageInfoFlags.of(flags));
    }

    @Override
    public List<PackageInfo> getInstalledPackages(PackageInfoFlags flags) {
        return getInstalledPackagesAsUser(flags, getUserId());
    }

    public List<PackageInfo> getInstalledPackagesAsUser(PackageInfoFlags flags, int userId) {
        List<PackageInfo> out = new ArrayList<>();
        for (ApplicationInfo ai : installed()) out.add(packageInfo(ai));
        return out;
    }

    @Override
    public List<ApplicationInfo> getInstalledApplications(int flags) {
        return getInstalledApplications(ApplicationInfoFlags.of(flags));
    }

    @Override
    public List<ApplicationInfo> getInstalledApplications(ApplicationInfoFlags flags) {
        return getInstalledApplicationsAsUser(flags, getUserId());
    }

    public List<ApplicationInfo> getInstalledApplicationsAsUser(ApplicationInfoFlags flags, int userId) {
        return installed();
    }

    /** Every installed app answers a launcher query, which is how SDKs enumerate apps without QUERY_ALL_PACKAGES. */
    @Override
    public List<ResolveInfo> queryIntentActivities(Intent intent, int flags) {
        return queryIntentActivities(intent, ResolveInfoFlags.of(flags));
    }

    @Override
    public List<ResolveInfo> queryIntentActivities(Intent intent, ResolveInfoFlags flags) {
        return queryIntentActivitiesAsUser(intent, flags, getUserId());
    }

    public List<ResolveInfo> queryIntentActivitiesAsUser(Intent intent, ResolveInfoFlags flags, int userId) {
        List<ResolveInfo> out = new ArrayList<>();
        for (ApplicationInfo ai : installed()) {
            if ((ai.flags & ApplicationInfo.FLAG_SYSTEM) != 0 && !"com.android.settings".equals(ai.packageName)) continue;
            ResolveInfo ri = new ResolveInfo();
            ri.activityInfo = new ActivityInfo();
            ri.activityInfo.packageName = ai.packageName;
            ri.activityInfo.name = ai.packageName + ".MainActivity";
            ri.activityInfo.applicationInfo = ai;
            ri.activityInfo.nonLocalizedLabel = ai.nonLocalizedLabel;
            out.add(ri);
        }
        return out;
    }

    @Override
    public List<ResolveInfo> queryIntentServices(Intent intent, int flags) {
        return queryIntentServices(intent, ResolveInfoFlags.of(flags));
    }

    @Override
    public List<ResolveInfo> queryIntentServices(Intent intent, ResolveInfoFlags flags) {
        return queryIntentServicesAsUser(intent, flags, getUserId());
    }

    /** Only the app's own services are known to the stand-in. */
    public List<ResolveInfo> queryIntentServicesAsUser(Intent intent, ResolveInfoFlags flags, int userId) {
        List<ResolveInfo> out = new ArrayList<>();
        String pkg = intent.getPackage() != null ? intent.getPackage()
                : intent.getComponent() != null ? intent.getComponent().getPackageName() : null;
        if (mContext.getPackageName().equals(pkg) && intent.getComponent() != null) {
            ResolveInfo ri = new ResolveInfo();
            ri.serviceInfo = new ServiceInfo();
            ri.serviceInfo.packageName = pkg;
            ri.serviceInfo.name = intent.getComponent().getClassName();
            out.add(ri);
        }
        return out;
    }

    @Override
    public List<ResolveInfo> queryBroadcastReceivers(Intent intent, int flags) {
        return queryBroadcastReceivers(intent, ResolveInfoFlags.of(flags));
    }

    @Override
    public List<ResolveInfo> queryBroadcastReceivers(Intent intent, ResolveInfoFlags flags) {
        return queryBroadcastReceiversAsUser(intent, flags, getUserId());
    }

    /** Each installed third-party app has a boot receiver (as push-enabled apps do); nothing else is registered. */
    public List<ResolveInfo> queryBroadcastReceiversAsUser(Intent intent, ResolveInfoFlags flags, int userId) {
        List<ResolveInfo> out = new ArrayList<>();
        if (!Intent.ACTION_BOOT_COMPLETED.equals(intent.getAction())) return out;
        for (ApplicationInfo ai : installed()) {
            if ((ai.flags & ApplicationInfo.FLAG_SYSTEM) != 0 || ai.packageName.equals(mContext.getPackageName())) continue;
            if (intent.getPackage() != null && !intent.getPackage().equals(ai.packageName)) continue;
            ResolveInfo ri = new ResolveInfo();
            ri.activityInfo = new ActivityInfo();
            ri.activityInfo.packageName = ai.packageName;
            ri.activityInfo.name = ai.packageName + ".BootReceiver";
            ri.activityInfo.applicationInfo = ai;
            out.add(ri);
        }
        return out;
    }

    @Override
    public PackageInfo getPackageInfo(String packageName, int flags) throws NameNotFoundException {
        return getPackageInfo(packageName, PackageInfoFlags.of(flags));
    }

    @Override
    public PackageInfo getPackageInfo(String packageName, PackageInfoFlags flags) throws NameNotFoundException {
        return getPackageInfoAsUser(packageName, flags, getUserId());
    }

    public PackageInfo getPackageInfoAsUser(String packageName, PackageInfoFlags flags, int userId) throws NameNotFoundException {
        return packageInfo(find(packageName));
    }

    @Override
    public ApplicationInfo getApplicationInfo(String packageName, int flags) throws NameNotFoundException {
        return getApplicationInfo(packageName, ApplicationInfoFlags.of(flags));
    }

    @Override
    public ApplicationInfo getApplicationInfo(String packageName, ApplicationInfoFlags flags) throws NameNotFoundException {
        return getApplicationInfoAsUser(packageName, flags, getUserId());
    }

    public ApplicationInfo getApplicationInfoAsUser(String packageName, ApplicationInfoFlags flags, int userId) throws NameNotFoundException {
        return find(packageName);
    }

    private ApplicationInfo find(String packageName) throws NameNotFoundException {
        for (ApplicationInfo ai : installed()) if (ai.packageName.equals(packageName)) return ai;
        throw new NameNotFoundException(packageName);
    }

    @Deprecated
    @Override
    public String getInstallerPackageName(String packageName) {
        for (ApplicationInfo ai : installed()) {
            if (ai.packageName.equals(packageName)) return (ai.flags & ApplicationInfo.FLAG_SYSTEM) != 0 ? null : "com.android.vending";
        }
        throw new IllegalArgumentException("Unknown package: " + packageName);
    }

    @Override
    public int checkPermission(String permName, String packageName) {
        if (!mContext.getPackageName().equals(packageName)) return PERMISSION_DENIED;
        return mContext.mMainThread.isPermissionGranted(permName) ? PERMISSION_GRANTED : PERMISSION_DENIED;
    }

    private List<ApplicationInfo> installed() {
        List<ApplicationInfo> out = new ArrayList<>();
        int uid = 10100;
        for (String pkg : SYSTEM_PACKAGES) out.add(appInfo(pkg, pkg, ApplicationInfo.FLAG_SYSTEM, 1000));
        out.add(appInfo(mContext.getPackageName(), "演示商城", 0, android.os.Process.myUid()));
        for (String pkg : DeviceValues.getList("installed_apps")) out.add(appInfo(pkg, label(pkg), 0, uid++));
        return out;
    }

    private static ApplicationInfo appInfo(String pkg, String label, int flags, int uid) {
        ApplicationInfo ai = new ApplicationInfo();
        ai.packageName = pkg;
        ai.name = null;
        ai.processName = pkg;
        ai.flags = flags;
        ai.uid = uid;
        ai.targetSdkVersion = 34;
        ai.nonLocalizedLabel = label;
        ai.sourceDir = (flags & ApplicationInfo.FLAG_SYSTEM) != 0 ? "/system/app/" + pkg + "/" + pkg + ".apk" : "/data/app/" + pkg + "/base.apk";
        ai.dataDir = "/data/user/0/" + pkg;
        return ai;
    }

    private static PackageInfo packageInfo(ApplicationInfo ai) {
        PackageInfo pi = new PackageInfo();
        pi.packageName = ai.packageName;
        pi.applicationInfo = ai;
        pi.versionName = version(ai.packageName);
        pi.versionCode = 1;
        pi.firstInstallTime = 1_700_000_000_000L;
        pi.lastUpdateTime = 1_700_000_000_000L;
        return pi;
    }

    private static String label(String pkg) {
        for (String[] a : KNOWN_APPS) if (a[0].equals(pkg)) return a[1];
        return pkg;
    }

    private static String version(String pkg) {
        for (String[] a : KNOWN_APPS) if (a[0].equals(pkg)) return a[2];
        return "1.0.0";
    }
}
