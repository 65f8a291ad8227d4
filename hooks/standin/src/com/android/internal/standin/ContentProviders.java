package com.android.internal.standin;

import android.database.Cursor;
import android.database.MatrixCursor;
import android.net.Uri;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The stand-in device's content providers: a few contacts, calls, messages, events and
 * photos, plus the vivo OAID provider. An unknown authority answers null, as on Android.
 */
public final class ContentProviders {
    private ContentProviders() {}

    public static Cursor query(Uri uri, String[] projection) {
        String authority = uri.getAuthority();
        if (authority == null) return null;
        List<Map<String, Object>> rows;
        switch (authority) {
            case "com.android.contacts":
                rows = rows(new String[] {"_id", "contact_id", "display_name", "data1", "has_phone_number"},
                        new Object[] {1L, 1L, "张伟", "13800138000", 1},
                        new Object[] {2L, 2L, "李娜", "13700137000", 1},
                        new Object[] {3L, 3L, "妈妈", "13600136000", 1});
                break;
            case "call_log":
                rows = rows(new String[] {"_id", "number", "name", "date", "duration", "type"},
                        new Object[] {1L, "13800138000", "张伟", 1_700_000_100_000L, 62L, 1},
                        new Object[] {2L, "10086", null, 1_700_000_200_000L, 15L, 2});
                break;
            case "sms":
            case "mms-sms":
                rows = rows(new String[] {"_id", "address", "body", "date", "type"},
                        new Object[] {1L, "106575000", "【演示商城】您的验证码是 482913，5分钟内有效。", 1_700_000_300_000L, 1},
                        new Object[] {2L, "13800138000", "晚上一起吃饭？", 1_700_000_400_000L, 1});
                break;
            case "com.android.calendar":
                rows = rows(new String[] {"_id", "title", "dtstart"},
                        new Object[] {1L, "体检预约", 1_700_100_000_000L});
                break;
            case "media":
                rows = rows(new String[] {"_id", "_display_name", "_data", "date_added"},
                        new Object[] {1L, "IMG_20231114_101500.jpg", "/storage/emulated/0/DCIM/Camera/IMG_20231114_101500.jpg", 1_699_928_100L});
                break;
            case "com.vivo.vms.IdProvider":
                rows = rows(new String[] {"value"}, new Object[] {DeviceValues.get("oaid")});
                break;
            default:
                return null;
        }
        String[] columns = projection != null ? projection : rows.isEmpty() ? new String[0] : rows.get(0).keySet().toArray(new String[0]);
        MatrixCursor cursor = new MatrixCursor(columns);
        for (Map<String, Object> row : rows) {
            Object[] values = new Object[columns.length];
            for (int i = 0; i < columns.length; i++) values[i] = row.get(columns[i]);
            cursor.addRow(values);
        }
        return cursor;
    }

    private static List<Map<String, Object>> rows(String[] columns, Object[]... data) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Object[] d : data) {
            Map<String, Object> row = new LinkedHashMap<>();
            for (int i = 0; i < columns.length; i++) row.put(columns[i], d[i]);
            out.add(row);
        }
        return out;
    }

    static List<String> authorities() {
        return Arrays.asList("com.android.contacts", "call_log", "sms", "mms-sms", "com.android.calendar", "media", "com.vivo.vms.IdProvider");
    }
}
