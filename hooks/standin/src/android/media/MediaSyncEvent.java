package android.media;

public class MediaSyncEvent {
    public static final int SYNC_EVENT_NONE = 0;

    private final int mType;

    private MediaSyncEvent(int eventType) {
        mType = eventType;
    }

    public static MediaSyncEvent createEvent(int eventType) {
        return new MediaSyncEvent(eventType);
    }

    public int getType() {
        return mType;
    }
}
