package android.content;

/** Enough of Intent for the launch hooks: action, explicit component or package, data URI. */
public class Intent {
    public static final String ACTION_VIEW = "android.intent.action.VIEW";

    private String mAction;
    private ComponentName mComponent;
    private String mPackage;
    private String mData;

    public Intent(String action) {
        mAction = action;
    }

    public Intent setComponent(ComponentName component) {
        mComponent = component;
        return this;
    }

    public Intent setPackage(String pkg) {
        mPackage = pkg;
        return this;
    }

    public Intent setDataString(String data) {
        mData = data;
        return this;
    }

    public String getAction() {
        return mAction;
    }

    public ComponentName getComponent() {
        return mComponent;
    }

    public String getPackage() {
        return mPackage;
    }

    public String getDataString() {
        return mData;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("Intent {");
        if (mAction != null) b.append(" act=").append(mAction);
        if (mData != null) b.append(" dat=").append(mData);
        if (mPackage != null) b.append(" pkg=").append(mPackage);
        if (mComponent != null) b.append(" cmp=").append(mComponent.flattenToShortString());
        return b.append(" }").toString();
    }
}
