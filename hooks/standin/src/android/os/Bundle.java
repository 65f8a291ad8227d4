package android.os;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

public final class Bundle {
    private final Map<String, Object> mMap = new LinkedHashMap<>();

    public Bundle() {}

    public Bundle(Bundle b) {
        if (b != null) mMap.putAll(b.mMap);
    }

    public int size() { return mMap.size(); }
    public boolean isEmpty() { return mMap.isEmpty(); }
    public boolean containsKey(String key) { return mMap.containsKey(key); }
    public Object get(String key) { return mMap.get(key); }
    public void remove(String key) { mMap.remove(key); }
    public Set<String> keySet() { return mMap.keySet(); }
    public void putAll(Bundle bundle) { mMap.putAll(bundle.mMap); }

    public void putString(String key, String value) { mMap.put(key, value); }
    public void putInt(String key, int value) { mMap.put(key, value); }
    public void putLong(String key, long value) { mMap.put(key, value); }
    public void putBoolean(String key, boolean value) { mMap.put(key, value); }
    public void putStringArray(String key, String[] value) { mMap.put(key, value); }
    public void putIntArray(String key, int[] value) { mMap.put(key, value); }
    public void putCharSequence(String key, CharSequence value) { mMap.put(key, value); }

    public String getString(String key) {
        Object o = mMap.get(key);
        return o instanceof String ? (String) o : null;
    }

    public String getString(String key, String defaultValue) {
        String s = getString(key);
        return s == null ? defaultValue : s;
    }

    public int getInt(String key) { return getInt(key, 0); }

    public int getInt(String key, int defaultValue) {
        Object o = mMap.get(key);
        return o instanceof Integer ? (Integer) o : defaultValue;
    }

    public long getLong(String key, long defaultValue) {
        Object o = mMap.get(key);
        return o instanceof Long ? (Long) o : defaultValue;
    }

    public boolean getBoolean(String key) { return getBoolean(key, false); }

    public boolean getBoolean(String key, boolean defaultValue) {
        Object o = mMap.get(key);
        return o instanceof Boolean ? (Boolean) o : defaultValue;
    }

    public String[] getStringArray(String key) {
        Object o = mMap.get(key);
        return o instanceof String[] ? (String[]) o : null;
    }

    public int[] getIntArray(String key) {
        Object o = mMap.get(key);
        return o instanceof int[] ? (int[]) o : null;
    }

    public CharSequence getCharSequence(String key) {
        Object o = mMap.get(key);
        return o instanceof CharSequence ? (CharSequence) o : null;
    }

    @Override
    public String toString() {
        return "Bundle[" + mMap.keySet() + "]";
    }
}
