package com.example.demoshop.net;

/** JSON text for request bodies built by hand, as small SDKs do. */
public final class Json {
    private Json() {}

    /** A JSON string literal. */
    public static String q(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            if (ch == '"' || ch == '\\') sb.append('\\').append(ch);
            else if (ch < 0x20) sb.append(String.format("\\u%04x", (int) ch));
            else sb.append(ch);
        }
        return sb.append('"').toString();
    }
}
