package com.tencent.mmkv;

import android.content.Context;
import java.util.HashMap;
import java.util.Map;

/**
 * Tencent MMKV (a key-value store many apps keep their consent flag in), with the library's
 * public signatures. Values live in memory for the process, like a fresh install.
 */
public class MMKV {
    public static final int SINGLE_PROCESS_MODE = 1;
    public static final int MULTI_PROCESS_MODE = 2;

    private static final Map<String, MMKV> INSTANCES = new HashMap<>();
    private static String rootDir;

    private final String mmapID;
    private final Map<String, Object> values = new HashMap<>();

    private MMKV(String mmapID) {
        this.mmapID = mmapID;
    }

    public static String initialize(Context context) {
        rootDir = "/data/user/0/" + context.getPackageName() + "/files/mmkv";
        return rootDir;
    }

    public static MMKV defaultMMKV() {
        return mmkvWithID("mmkv.default");
    }

    public static synchronized MMKV mmkvWithID(String mmapID) {
        if (rootDir == null) throw new IllegalStateException("You should Call MMKV.initialize() first.");
        return INSTANCES.computeIfAbsent(mmapID, MMKV::new);
    }

    public String mmapID() {
        return mmapID;
    }

    public boolean encode(String key, boolean value) {
        return put(key, value);
    }

    public boolean encode(String key, int value) {
        return put(key, value);
    }

    public boolean encode(String key, long value) {
        return put(key, value);
    }

    public boolean encode(String key, float value) {
        return put(key, value);
    }

    public boolean encode(String key, String value) {
        return put(key, value);
    }

    public boolean decodeBool(String key, boolean defaultValue) {
        Object v = get(key);
        return v instanceof Boolean ? (Boolean) v : defaultValue;
    }

    public int decodeInt(String key, int defaultValue) {
        Object v = get(key);
        return v instanceof Integer ? (Integer) v : defaultValue;
    }

    public long decodeLong(String key, long defaultValue) {
        Object v = get(key);
        return v instanceof Long ? (Long) v : defaultValue;
    }

    public String decodeString(String key, String defaultValue) {
        Object v = get(key);
        return v instanceof String ? (String) v : defaultValue;
    }

    public boolean containsKey(String key) {
        synchronized (values) {
            return values.containsKey(key);
        }
    }

    public void removeValueForKey(String key) {
        synchronized (values) {
            values.remove(key);
        }
    }

    private boolean put(String key, Object value) {
        synchronized (values) {
            values.put(key, value);
        }
        return true;
    }

    private Object get(String key) {
        synchronized (values) {
            return values.get(key);
        }
    }
}
