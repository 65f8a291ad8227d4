package com.android.internal.standin;

import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Properties;

/**
 * The stand-in device's personal values: what the fake framework returns.
 *
 * Read once from the properties file named by {@code -Dstandin.device=<path>} (UTF-8,
 * written by hooks/standin/build.py from a device profile). Keys missing there fall back to
 * the values of piiaudit/data/demo/device.yaml, so the demo works with no file at all.
 * Keys are PII vocabulary names (imei, android_id, ...), location as location.lat/.lng.
 */
public final class DeviceValues {
    private static final String[][] DEFAULTS = {
        {"imei", "867530912345673"},
        {"meid", "A0000049A8C3F2"},
        {"imsi", "460001234567890"},
        {"iccid", "89860012345678901234"},
        {"phone_number", "13912340000"},
        {"android_id", "9774d56d682e549c"},
        {"oaid", "8f1d2c3b-4a5e-4f60-9a7b-1c2d3e4f5a6b"},
        {"advertising_id", "38400000-8cf0-11bd-b23e-10b96e40000d"},
        {"mac", "02:1a:11:f0:6e:2b"},
        {"bluetooth_mac", "02:1a:11:f0:6e:2c"},
        {"serial", "STANDIN0001"},
        {"ssid", "DemoShop-WiFi"},
        {"bssid", "02:1a:11:aa:bb:cc"},
        {"sim_operator", "46000"},
        {"sim_operator_name", "CMCC"},
        {"location.lat", "39.908823"},
        {"location.lng", "116.397470"},
        {"clipboard", "piiaudit-canary-clipboard-7f3a"},
        {"installed_apps", "com.tencent.mm,com.eg.android.AlipayGphone,com.sina.weibo,com.taobao.taobao,com.ss.android.ugc.aweme"},
        {"device.model", "piiaudit JVM stand-in"},
        {"device.manufacturer", "piiaudit"},
    };

    private static volatile Properties values;

    private DeviceValues() {}

    /** The device's value for {@code key}; never null for the keys listed in DEFAULTS. */
    public static String get(String key) {
        return load().getProperty(key);
    }

    public static double getDouble(String key) {
        return Double.parseDouble(get(key));
    }

    public static List<String> getList(String key) {
        String raw = get(key);
        if (raw == null || raw.isBlank()) return Collections.emptyList();
        List<String> out = new ArrayList<>();
        for (String s : raw.split(",")) if (!s.isBlank()) out.add(s.trim());
        return out;
    }

    /** Where the values came from, for messages. */
    public static String source() {
        String path = System.getProperty("standin.device");
        return path == null || path.isEmpty() ? "built-in demo device" : path;
    }

    private static Properties load() {
        Properties p = values;
        if (p != null) return p;
        synchronized (DeviceValues.class) {
            if (values != null) return values;
            p = new Properties();
            for (String[] kv : DEFAULTS) p.setProperty(kv[0], kv[1]);
            String path = System.getProperty("standin.device");
            if (path != null && !path.isEmpty()) {
                try (Reader r = new InputStreamReader(Files.newInputStream(Path.of(path)), StandardCharsets.UTF_8)) {
                    Properties fromFile = new Properties();
                    fromFile.load(r);
                    for (String k : fromFile.stringPropertyNames()) p.setProperty(k, fromFile.getProperty(k));
                } catch (IOException e) {
                    throw new IllegalStateException("cannot read device values from -Dstandin.device=" + path + ": " + e, e);
                }
            }
            values = p;
            return p;
        }
    }

    /** Keys with built-in defaults (for the docs and tests). */
    public static List<String> keys() {
        List<String> out = new ArrayList<>();
        for (String[] kv : DEFAULTS) out.add(kv[0]);
        return Collections.unmodifiableList(out);
    }

    static List<String[]> defaults() {
        return Arrays.asList(DEFAULTS);
    }

    /** Prints the values the stand-in will return, as one JSON object (UTF-8). */
    public static void main(String[] args) {
        StringBuilder b = new StringBuilder("{");
        List<String> names = new ArrayList<>(load().stringPropertyNames());
        Collections.sort(names);
        for (int i = 0; i < names.size(); i++) {
            if (i > 0) b.append(',');
            json(b, names.get(i)).append(':');
            json(b, get(names.get(i)));
        }
        b.append('}');
        new java.io.PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8).println(b);
        System.exit(0);
    }

    private static StringBuilder json(StringBuilder b, String s) {
        b.append('"');
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"');
    }
}
