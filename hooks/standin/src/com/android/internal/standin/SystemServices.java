package com.android.internal.standin;

import android.content.Context;

/** System services beyond the first hook set; null for services the stand-in does not have. */
public final class SystemServices {
    private SystemServices() {}

    public static Object create(String name, Context context) {
        return null;
    }
}
