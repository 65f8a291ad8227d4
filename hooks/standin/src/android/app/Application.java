package android.app;

import android.content.ContextWrapper;
import android.content.Context;

public class Application extends ContextWrapper {
    public Application() {
        super(null);
    }

    public void onCreate() {}

    public void onTerminate() {}

    /** Called by ActivityThread when the process binds its application. */
    final void attach(Context context) {
        attachBaseContext(context);
    }

    public static String getProcessName() {
        return ActivityThread.currentProcessName();
    }
}
