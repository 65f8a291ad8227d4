package android.content;

import android.database.Cursor;
import android.net.Uri;
import android.os.Bundle;
import android.os.CancellationSignal;

/** Talks to the provider directly, bypassing ContentResolver.query (so it needs its own hooks). */
public class ContentProviderClient implements AutoCloseable {
    private final ContentResolver mContentResolver;
    private final String mAuthority;
    private boolean mClosed;

    ContentProviderClient(ContentResolver contentResolver, String authority) {
        mContentResolver = contentResolver;
        mAuthority = authority;
    }

    public Cursor query(Uri url, String[] projection, String selection, String[] selectionArgs, String sortOrder) {
        return query(url, projection, selection, selectionArgs, sortOrder, null);
    }

    public Cursor query(Uri uri, String[] projection, String selection, String[] selectionArgs, String sortOrder,
                        CancellationSignal cancellationSignal) {
        Bundle queryArgs = new Bundle();
        if (selection != null) queryArgs.putString(ContentResolver.QUERY_ARG_SQL_SELECTION, selection);
        return query(uri, projection, queryArgs, cancellationSignal);
    }

    public Cursor query(Uri uri, String[] projection, Bundle queryArgs, CancellationSignal cancellationSignal) {
        if (mClosed) throw new IllegalStateException("ContentProviderClient is closed");
        return mContentResolver.queryProvider(uri, projection, queryArgs);
    }

    @Override
    public void close() {
        mClosed = true;
    }

    @Deprecated
    public boolean release() {
        close();
        return true;
    }
}
