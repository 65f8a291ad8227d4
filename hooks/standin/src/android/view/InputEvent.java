package android.view;

/** Common base of input events (AOSP: abstract, with a hidden constructor). */
public abstract class InputEvent {
    InputEvent() {}

    public abstract int getDeviceId();

    public abstract long getEventTime();
}
