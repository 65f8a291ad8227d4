package android.view;

import android.content.ContextWrapper;
import android.content.Context;

public class ContextThemeWrapper extends ContextWrapper {
    private int mThemeResource;

    public ContextThemeWrapper() {
        super(null);
    }

    public ContextThemeWrapper(Context base, int themeResId) {
        super(base);
        mThemeResource = themeResId;
    }

    public int getThemeResId() {
        return mThemeResource;
    }
}
