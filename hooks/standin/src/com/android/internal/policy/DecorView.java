package com.android.internal.policy;

import android.content.Context;
import android.widget.FrameLayout;

/** The root view of a window: a FrameLayout holding the content frame (android.R.id.content). */
public class DecorView extends FrameLayout {
    public static final int ID_ANDROID_CONTENT = 0x01020002;

    private final FrameLayout mContentParent;

    DecorView(Context context) {
        super(context);
        mContentParent = new FrameLayout(context);
        mContentParent.setId(ID_ANDROID_CONTENT);
        addView(mContentParent);
    }

    FrameLayout getContentParent() {
        return mContentParent;
    }
}
