package android.content;

import android.database.Cursor;
import android.net.Uri;
import android.os.Bundle;
import android.os.CancellationSignal;

/**
 * As on Android the public query overloads are final and funnel into the Bundle form
 * (API 26+), so a hook on all three overloads sees nested calls.
 */
public abstract class ContentResolver {
    public static final String SCHEME_CONTENT = "content";
    public static final String QUERY_ARG_SQL_SELECTION = "android:query-arg-sql-selection";
    public static final String QUERY_ARG_SQL_SELECTION_ARGS = "android:query-arg-sql-selection-args";
    public static final String QUERY_ARG_SQL_SORT_ORDER = "android:query-arg-sql-sort-order";

    private final Context mContext;

    public ContentResolver(Context context) {
        mContext = context;
    }

    public final Cursor query(Uri uri, String[] projection, String selection, String[] selectionArgs, String sortOrder) {
        return query(uri, projection, selection, selectionArgs, sortOrder, null);
    }

    public final Cursor query(Uri uri, String[] projection, String selection, String[] selectionArgs, String sortOrder,
                              CancellationSignal cancellationSignal) {
        Bundle queryArgs = new Bundle();
        if (selection != null) queryArgs.putString(QUERY_ARG_SQL_SELECTION, selection);
        if (selectionArgs != null) queryArgs.putStringArray(QUERY_ARG_SQL_SELECTION_ARGS, selectionArgs);
        if (sortOrder != null) queryArgs.putString(QUERY_ARG_SQL_SORT_ORDER, sortOrder);
        return query(uri, projection, queryArgs, cancellationSignal);
    }

    public final Cursor query(Uri uri, String[] projection, Bundle queryArgs, CancellationSignal cancellationSignal) {
        if (uri == null) throw new NullPointerException("uri");
        if (cancellationSignal != null) cancellationSignal.throwIfCanceled();
        return queryProvider(uri, projection, queryArgs);
    }

    /** The stand-in's content providers (contacts, call log, SMS, ...); implemented by ContextImpl. */
    protected abstract Cursor queryProvider(Uri uri, String[] projection, Bundle queryArgs);

    public final ContentProviderClient acquireContentProviderClient(Uri uri) {
        return acquireContentProviderClient(uri.getAuthority());
    }

    public final ContentProviderClient acquireContentProviderClient(String name) {
        return name == null ? null : new ContentProviderClient(this, name);
    }

    public final ContentProviderClient acquireUnstableContentProviderClient(Uri uri) {
        return acquireContentProviderClient(uri);
    }

    public final String getType(Uri url) {
        return null;
    }

    /** Hidden: the user the resolver acts for (always user 0 on the stand-in). */
    public int getUserId() {
        return 0;
    }

    Context getContext() {
        return mContext;
    }
}
