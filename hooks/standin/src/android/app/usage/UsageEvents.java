package android.app.usage;

import java.util.ArrayList;
import java.util.List;

/** A cursor over usage events, read with hasNextEvent() / getNextEvent(Event). */
public final class UsageEvents {
    private final List<Event> mEvents;
    private int mIndex;

    /** Hidden constructor. */
    public UsageEvents(List<Event> events) {
        mEvents = new ArrayList<>(events);
    }

    public boolean hasNextEvent() {
        return mIndex < mEvents.size();
    }

    public boolean getNextEvent(Event eventOut) {
        if (mIndex >= mEvents.size()) return false;
        Event next = mEvents.get(mIndex++);
        eventOut.mPackage = next.mPackage;
        eventOut.mClass = next.mClass;
        eventOut.mTimeStamp = next.mTimeStamp;
        eventOut.mEventType = next.mEventType;
        return true;
    }

    public static final class Event {
        public static final int NONE = 0;
        public static final int ACTIVITY_RESUMED = 1;
        public static final int ACTIVITY_PAUSED = 2;

        String mPackage;
        String mClass;
        long mTimeStamp;
        int mEventType;

        public Event() {}

        /** Hidden. */
        public Event(int type, long timeStamp) {
            mEventType = type;
            mTimeStamp = timeStamp;
        }

        public String getPackageName() {
            return mPackage;
        }

        public String getClassName() {
            return mClass;
        }

        public long getTimeStamp() {
            return mTimeStamp;
        }

        public int getEventType() {
            return mEventType;
        }
    }
}
