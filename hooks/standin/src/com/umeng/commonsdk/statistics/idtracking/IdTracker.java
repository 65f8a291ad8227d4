package com.umeng.commonsdk.statistics.idtracking;

import android.content.Context;

/** Umeng's identifier collection, calling the repackaged helper {@code a.a.a} that does the reads. */
public final class IdTracker {
    private IdTracker() {}

    public static String androidId(Context context) {
        return a.a.a.a(context);
    }

    public static int probeMicrophone() {
        return a.a.a.b();
    }
}
