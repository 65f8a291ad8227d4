package android.content;

public interface ServiceConnection {
    void onServiceConnected(ComponentName name, Object service);
}
