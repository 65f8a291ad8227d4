package android.database;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

public class MatrixCursor implements Cursor {
    private final String[] mColumns;
    private final List<Object[]> mRows = new ArrayList<>();
    private int mPos = -1;
    private boolean mClosed;

    public MatrixCursor(String[] columnNames) {
        mColumns = columnNames.clone();
    }

    public void addRow(Object[] columnValues) {
        if (columnValues.length != mColumns.length) {
            throw new IllegalArgumentException("columnNames.length = " + mColumns.length + ", columnValues.length = " + columnValues.length);
        }
        mRows.add(columnValues.clone());
    }

    private Object get(int column) {
        if (column < 0 || column >= mColumns.length) throw new CursorIndexOutOfBoundsException("Requested column: " + column + ", # of columns: " + mColumns.length);
        if (mPos < 0 || mPos >= mRows.size()) throw new CursorIndexOutOfBoundsException("Index " + mPos + " requested, with a size of " + mRows.size());
        return mRows.get(mPos)[column];
    }

    @Override public int getCount() { return mRows.size(); }
    @Override public int getPosition() { return mPos; }
    @Override public boolean move(int offset) { return moveToPosition(mPos + offset); }

    @Override public boolean moveToPosition(int position) {
        int count = getCount();
        if (position >= count) { mPos = count; return false; }
        if (position < 0) { mPos = -1; return false; }
        mPos = position;
        return true;
    }

    @Override public boolean moveToFirst() { return moveToPosition(0); }
    @Override public boolean moveToNext() { return moveToPosition(mPos + 1); }
    @Override public boolean isAfterLast() { return getCount() == 0 || mPos == getCount(); }
    @Override public int getColumnIndex(String columnName) { return Arrays.asList(mColumns).indexOf(columnName); }

    @Override public int getColumnIndexOrThrow(String columnName) {
        int i = getColumnIndex(columnName);
        if (i < 0) throw new IllegalArgumentException("column '" + columnName + "' does not exist. Available columns: " + Arrays.toString(mColumns));
        return i;
    }

    @Override public String getColumnName(int columnIndex) { return mColumns[columnIndex]; }
    @Override public String[] getColumnNames() { return mColumns.clone(); }
    @Override public int getColumnCount() { return mColumns.length; }

    @Override public String getString(int column) {
        Object v = get(column);
        return v == null ? null : v.toString();
    }

    @Override public int getInt(int column) {
        Object v = get(column);
        return v == null ? 0 : v instanceof Number ? ((Number) v).intValue() : Integer.parseInt(v.toString());
    }

    @Override public long getLong(int column) {
        Object v = get(column);
        return v == null ? 0 : v instanceof Number ? ((Number) v).longValue() : Long.parseLong(v.toString());
    }

    @Override public double getDouble(int column) {
        Object v = get(column);
        return v == null ? 0 : v instanceof Number ? ((Number) v).doubleValue() : Double.parseDouble(v.toString());
    }

    @Override public boolean isNull(int column) { return get(column) == null; }

    @Override public int getType(int column) {
        Object v = get(column);
        return v == null ? FIELD_TYPE_NULL : v instanceof Number ? FIELD_TYPE_INTEGER : FIELD_TYPE_STRING;
    }

    @Override public void close() { mClosed = true; }
    @Override public boolean isClosed() { return mClosed; }
}
