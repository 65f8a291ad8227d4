package com.tencent.mmkv;

import java.util.HashMap;
import java.util.Map;

/** MMKV's key-value API (in memory here). */
public class MMKV {
    private static final MMKV DEFAULT = new MMKV();
    private final Map<String, Object> values = new HashMap<>();

    public static MMKV defaultMMKV() {
        return DEFAULT;
    }

    public boolean encode(String key, boolean value) {
        values.put(key, value);
        return true;
    }

    public boolean encode(String key, int value) {
        values.put(key, value);
        return true;
    }

    public boolean encode(String key, String value) {
        values.put(key, value);
        return true;
    }

    public boolean decodeBool(String key, boolean defaultValue) {
        Object v = values.get(key);
        return v instanceof Boolean ? (Boolean) v : defaultValue;
    }
}
