package android.content.pm;

public class ActivityInfo extends ComponentInfo {
    public ActivityInfo() {}

    @Override public String toString() { return "ActivityInfo{" + packageName + "/" + name + "}"; }
}
