package com.android.internal.policy;

import android.content.Context;
import android.view.View;
import android.view.Window;

public class PhoneWindow extends Window {
    private DecorView mDecor;

    public PhoneWindow(Context context) {
        super(context);
    }

    @Override
    public void setContentView(View view) {
        installDecor();
        mDecor.getContentParent().removeAllViews();
        mDecor.getContentParent().addView(view);
    }

    @Override
    public void setTitle(CharSequence title) {
        getAttributes().setTitle(title);
    }

    @Override
    public final View getDecorView() {
        installDecor();
        return mDecor;
    }

    @Override
    public final View peekDecorView() {
        return mDecor;
    }

    private void installDecor() {
        if (mDecor == null) mDecor = new DecorView(getContext());
    }
}
