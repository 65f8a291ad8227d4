package android.app.usage;

import android.content.Context;
import com.android.internal.standin.DeviceValues;
import java.util.ArrayList;
import java.util.List;

/**
 * Usage of the device profile's installed apps: each was in the foreground once, an hour
 * apart, ending at the query's end. Android answers only callers granted PACKAGE_USAGE_STATS
 * (an app op); the stand-in enforces no permission, so every caller gets the list.
 */
public final class UsageStatsManager {
    public static final int INTERVAL_DAILY = 0;
    public static final int INTERVAL_WEEKLY = 1;
    public static final int INTERVAL_MONTHLY = 2;
    public static final int INTERVAL_YEARLY = 3;
    public static final int INTERVAL_BEST = 4;

    private static final long HOUR_MS = 3_600_000L;
    private static final long FOREGROUND_MS = 5 * 60_000L;

    private final Context mContext;

    /** Hidden constructor used by the system service registry. */
    public UsageStatsManager(Context context) {
        mContext = context;
    }

    public List<UsageStats> queryUsageStats(int intervalType, long beginTime, long endTime) {
        return usage(beginTime, endTime);
    }

    public UsageEvents queryEvents(long beginTime, long endTime) {
        List<UsageEvents.Event> events = new ArrayList<>();
        for (UsageStats s : usage(beginTime, endTime)) {
            UsageEvents.Event resumed = new UsageEvents.Event(UsageEvents.Event.ACTIVITY_RESUMED, s.mLastTimeUsed - FOREGROUND_MS);
            UsageEvents.Event paused = new UsageEvents.Event(UsageEvents.Event.ACTIVITY_PAUSED, s.mLastTimeUsed);
            resumed.mPackage = paused.mPackage = s.mPackageName;
            resumed.mClass = paused.mClass = s.mPackageName + ".MainActivity";
            events.add(resumed);
            events.add(paused);
        }
        return new UsageEvents(events);
    }

    /** Not through the public query, which is a hook point of its own. */
    private static List<UsageStats> usage(long beginTime, long endTime) {
        List<UsageStats> out = new ArrayList<>();
        List<String> apps = DeviceValues.getList("installed_apps");
        for (int i = 0; i < apps.size(); i++) {
            long used = endTime - (apps.size() - i) * HOUR_MS;
            if (used < beginTime) continue;
            UsageStats s = new UsageStats();
            s.mPackageName = apps.get(i);
            s.mBeginTimeStamp = beginTime;
            s.mEndTimeStamp = endTime;
            s.mLastTimeUsed = used;
            s.mTotalTimeInForeground = FOREGROUND_MS;
            out.add(s);
        }
        return out;
    }
}
