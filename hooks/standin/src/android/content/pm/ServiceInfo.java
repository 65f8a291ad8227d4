package android.content.pm;

public class ServiceInfo extends ComponentInfo {
    public ServiceInfo() {}

    @Override public String toString() { return "ServiceInfo{" + packageName + "/" + name + "}"; }
}
