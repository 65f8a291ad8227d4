package com.android.internal.standin;

import android.database.Cursor;
import android.database.MatrixCursor;
import android.net.Uri;

/** The stand-in device's content providers. */
public final class ContentProviders {
    private ContentProviders() {}

    public static Cursor query(Uri uri, String[] projection) {
        return new MatrixCursor(projection != null ? projection : new String[] {"_id"});
    }
}
