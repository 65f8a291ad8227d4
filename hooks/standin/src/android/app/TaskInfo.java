package android.app;

import android.content.ComponentName;
import android.content.Intent;

/** What the running and recent task lists share (API 29). */
public class TaskInfo {
    public Intent baseIntent;
    public ComponentName topActivity;
    public int numActivities;

    TaskInfo() {}
}
