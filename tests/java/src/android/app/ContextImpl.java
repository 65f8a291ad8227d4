package android.app;

import android.content.ComponentName;
import android.content.Context;
import android.content.Intent;
import android.content.ServiceConnection;

/** The hidden concrete Context: what a launch returns here is what the system would answer. */
class ContextImpl extends Context {
    private final String mPackageName;

    ContextImpl(String packageName) {
        mPackageName = packageName;
    }

    static ContextImpl createAppContext(String packageName) {
        return new ContextImpl(packageName);
    }

    @Override
    public void startActivity(Intent intent) {
        System.out.println("system: start activity " + intent);
    }

    @Override
    public ComponentName startService(Intent service) {
        return service.getComponent();
    }

    @Override
    public boolean bindService(Intent service, ServiceConnection conn, int flags) {
        return true;
    }

    @Override
    public void sendBroadcast(Intent intent) {
        System.out.println("system: broadcast " + intent);
    }

    @Override
    public String getPackageName() {
        return mPackageName;
    }
}
