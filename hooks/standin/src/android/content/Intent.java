package android.content;

import android.net.Uri;
import android.os.Bundle;

public class Intent implements Cloneable {
    public static final String ACTION_MAIN = "android.intent.action.MAIN";
    public static final String ACTION_VIEW = "android.intent.action.VIEW";
    public static final String ACTION_SEND = "android.intent.action.SEND";
    public static final String ACTION_BOOT_COMPLETED = "android.intent.action.BOOT_COMPLETED";
    public static final String CATEGORY_LAUNCHER = "android.intent.category.LAUNCHER";
    public static final String CATEGORY_BROWSABLE = "android.intent.category.BROWSABLE";
    public static final int FLAG_ACTIVITY_NEW_TASK = 0x10000000;

    private String mAction;
    private Uri mData;
    private String mPackage;
    private ComponentName mComponent;
    private int mFlags;
    private Bundle mExtras;

    public Intent() {}

    public Intent(String action) {
        mAction = action;
    }

    public Intent(String action, Uri uri) {
        mAction = action;
        mData = uri;
    }

    public Intent(Context packageContext, Class<?> cls) {
        mComponent = new ComponentName(packageContext, cls);
    }

    public Intent(Intent o) {
        mAction = o.mAction;
        mData = o.mData;
        mPackage = o.mPackage;
        mComponent = o.mComponent;
        mFlags = o.mFlags;
        if (o.mExtras != null) mExtras = new Bundle(o.mExtras);
    }

    @Override public Object clone() { return new Intent(this); }

    public String getAction() { return mAction; }
    public Intent setAction(String action) { mAction = action; return this; }
    public Uri getData() { return mData; }
    public Intent setData(Uri data) { mData = data; return this; }
    public String getDataString() { return mData == null ? null : mData.toString(); }
    public String getPackage() { return mPackage; }
    public Intent setPackage(String packageName) { mPackage = packageName; return this; }
    public ComponentName getComponent() { return mComponent; }
    public Intent setComponent(ComponentName component) { mComponent = component; return this; }
    public Intent setClassName(String packageName, String className) { mComponent = new ComponentName(packageName, className); return this; }
    public int getFlags() { return mFlags; }
    public Intent addFlags(int flags) { mFlags |= flags; return this; }
    public Intent setFlags(int flags) { mFlags = flags; return this; }

    private Bundle extras() {
        if (mExtras == null) mExtras = new Bundle();
        return mExtras;
    }

    public Intent putExtra(String name, String value) { extras().putString(name, value); return this; }
    public Intent putExtra(String name, String[] value) { extras().putStringArray(name, value); return this; }
    public Intent putExtra(String name, int[] value) { extras().putIntArray(name, value); return this; }
    public Intent putExtra(String name, int value) { extras().putInt(name, value); return this; }
    public Intent putExtra(String name, long value) { extras().putLong(name, value); return this; }
    public Intent putExtra(String name, boolean value) { extras().putBoolean(name, value); return this; }
    public Intent putExtras(Bundle extras) { extras().putAll(extras); return this; }

    public boolean hasExtra(String name) { return mExtras != null && mExtras.containsKey(name); }
    public Bundle getExtras() { return mExtras == null ? null : new Bundle(mExtras); }
    public String getStringExtra(String name) { return mExtras == null ? null : mExtras.getString(name); }
    public String[] getStringArrayExtra(String name) { return mExtras == null ? null : mExtras.getStringArray(name); }
    public int[] getIntArrayExtra(String name) { return mExtras == null ? null : mExtras.getIntArray(name); }
    public int getIntExtra(String name, int defaultValue) { return mExtras == null ? defaultValue : mExtras.getInt(name, defaultValue); }
    public long getLongExtra(String name, long defaultValue) { return mExtras == null ? defaultValue : mExtras.getLong(name, defaultValue); }
    public boolean getBooleanExtra(String name, boolean defaultValue) { return mExtras == null ? defaultValue : mExtras.getBoolean(name, defaultValue); }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("Intent { ");
        if (mAction != null) b.append("act=").append(mAction).append(' ');
        if (mData != null) b.append("dat=").append(mData).append(' ');
        if (mPackage != null) b.append("pkg=").append(mPackage).append(' ');
        if (mComponent != null) b.append("cmp=").append(mComponent.flattenToString()).append(' ');
        if (mExtras != null) b.append("(has extras) ");
        return b.append('}').toString();
    }
}
