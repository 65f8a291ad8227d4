package android.app;

import android.content.ComponentName;
import android.content.Context;
import android.content.Intent;
import android.os.Handler;
import android.os.Process;
import java.util.ArrayList;
import java.util.List;

public class ActivityManager {
    private final Context mContext;

    /** Hidden constructor used by the system service registry. */
    public ActivityManager(Context context, Handler handler) {
        mContext = context;
    }

    /** Other apps' processes have been hidden from apps since API 22; the stand-in lists some, as older devices did. */
    public List<RunningAppProcessInfo> getRunningAppProcesses() {
        List<RunningAppProcessInfo> out = new ArrayList<>();
        out.add(new RunningAppProcessInfo(mContext.getPackageName(), Process.myPid(), new String[] {mContext.getPackageName()}));
        out.add(new RunningAppProcessInfo("com.tencent.mm", 2301, new String[] {"com.tencent.mm"}));
        out.add(new RunningAppProcessInfo("com.eg.android.AlipayGphone", 2417, new String[] {"com.eg.android.AlipayGphone"}));
        out.get(1).importance = RunningAppProcessInfo.IMPORTANCE_SERVICE;
        out.get(2).importance = RunningAppProcessInfo.IMPORTANCE_CACHED;
        return out;
    }

    @Deprecated
    public List<RunningTaskInfo> getRunningTasks(int maxNum) {
        List<RunningTaskInfo> out = new ArrayList<>();
        RunningTaskInfo t = new RunningTaskInfo();
        t.topActivity = new ComponentName(mContext.getPackageName(), mContext.getPackageName() + ".MainActivity");
        t.numActivities = 1;
        out.add(t);
        return out;
    }

    /** Since API 21 an app sees only its own tasks here: the stand-in app has one, its launcher activity's. */
    @Deprecated
    public List<RecentTaskInfo> getRecentTasks(int maxNum, int flags) throws SecurityException {
        List<RecentTaskInfo> out = new ArrayList<>();
        if (maxNum < 1) return out;
        RecentTaskInfo t = new RecentTaskInfo();
        String pkg = mContext.getPackageName();
        t.baseIntent = new Intent(Intent.ACTION_MAIN).setClassName(pkg, pkg + ".MainActivity");
        t.topActivity = new ComponentName(pkg, pkg + ".MainActivity");
        t.numActivities = 1;
        t.id = 1;
        t.persistentId = 1;
        out.add(t);
        return out;
    }

    @Deprecated
    public List<RunningServiceInfo> getRunningServices(int maxNum) {
        List<RunningServiceInfo> out = new ArrayList<>();
        RunningServiceInfo s = new RunningServiceInfo();
        s.service = new ComponentName("com.tencent.mm", "com.tencent.mm.booter.CoreService");
        s.process = "com.tencent.mm:push";
        s.pid = 2302;
        out.add(s);
        return out;
    }

    public static class RunningAppProcessInfo {
        public static final int IMPORTANCE_FOREGROUND = 100;
        public static final int IMPORTANCE_SERVICE = 300;
        public static final int IMPORTANCE_CACHED = 400;

        public String processName;
        public int pid;
        public int uid;
        public String[] pkgList;
        public int importance = IMPORTANCE_FOREGROUND;

        public RunningAppProcessInfo() {}

        public RunningAppProcessInfo(String pProcessName, int pPid, String[] pArr) {
            processName = pProcessName;
            pid = pPid;
            pkgList = pArr;
        }
    }

    public static class RunningTaskInfo extends TaskInfo {
        public RunningTaskInfo() {}
    }

    public static class RecentTaskInfo extends TaskInfo {
        @Deprecated
        public int id;
        @Deprecated
        public int persistentId;

        public RecentTaskInfo() {}
    }

    public static class RunningServiceInfo {
        public ComponentName service;
        public int pid;
        public String process;

        public RunningServiceInfo() {}
    }
}
