package android.app;

import android.content.SharedPreferences;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * In memory (the stand-in starts each run as a fresh install). EditorImpl is the hook target
 * for consent writes, as SharedPreferences.Editor is only an interface.
 */
final class SharedPreferencesImpl implements SharedPreferences {
    private final String mName;
    private final Map<String, Object> mMap = new HashMap<>();

    SharedPreferencesImpl(String name) {
        mName = name;
    }

    String getName() {
        return mName;
    }

    @Override public synchronized Map<String, ?> getAll() { return new HashMap<>(mMap); }

    @Override public synchronized String getString(String key, String defValue) {
        Object v = mMap.get(key);
        return v instanceof String ? (String) v : defValue;
    }

    @SuppressWarnings("unchecked")
    @Override public synchronized Set<String> getStringSet(String key, Set<String> defValues) {
        Object v = mMap.get(key);
        return v instanceof Set ? (Set<String>) v : defValues;
    }

    @Override public synchronized int getInt(String key, int defValue) {
        Object v = mMap.get(key);
        return v instanceof Integer ? (Integer) v : defValue;
    }

    @Override public synchronized long getLong(String key, long defValue) {
        Object v = mMap.get(key);
        return v instanceof Long ? (Long) v : defValue;
    }

    @Override public synchronized float getFloat(String key, float defValue) {
        Object v = mMap.get(key);
        return v instanceof Float ? (Float) v : defValue;
    }

    @Override public synchronized boolean getBoolean(String key, boolean defValue) {
        Object v = mMap.get(key);
        return v instanceof Boolean ? (Boolean) v : defValue;
    }

    @Override public synchronized boolean contains(String key) { return mMap.containsKey(key); }

    @Override public Editor edit() { return new EditorImpl(); }

    public final class EditorImpl implements Editor {
        private final Object mEditorLock = new Object();
        private final Map<String, Object> mModified = new HashMap<>();
        private boolean mClear;

        @Override public Editor putString(String key, String value) { return put(key, value); }
        @Override public Editor putStringSet(String key, Set<String> values) { return put(key, values == null ? null : new HashSet<>(values)); }
        @Override public Editor putInt(String key, int value) { return put(key, value); }
        @Override public Editor putLong(String key, long value) { return put(key, value); }
        @Override public Editor putFloat(String key, float value) { return put(key, value); }
        @Override public Editor putBoolean(String key, boolean value) { return put(key, value); }

        /** A value of this (the editor) marks a removal, as in AOSP. */
        @Override public Editor remove(String key) { return put(key, this); }

        @Override public Editor clear() {
            synchronized (mEditorLock) {
                mClear = true;
                return this;
            }
        }

        @Override public boolean commit() {
            commitToMemory();
            return true;
        }

        @Override public void apply() {
            commitToMemory();
        }

        private Editor put(String key, Object value) {
            synchronized (mEditorLock) {
                mModified.put(key, value);
                return this;
            }
        }

        private void commitToMemory() {
            synchronized (SharedPreferencesImpl.this) {
                synchronized (mEditorLock) {
                    if (mClear) mMap.clear();
                    for (Map.Entry<String, Object> e : mModified.entrySet()) {
                        Object v = e.getValue();
                        if (v == this || v == null) mMap.remove(e.getKey()); else mMap.put(e.getKey(), v);
                    }
                    mModified.clear();
                    mClear = false;
                }
            }
        }
    }
}
