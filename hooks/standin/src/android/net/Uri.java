package android.net;

import java.net.URI;
import java.net.URISyntaxException;

/** Parsed with java.net.URI, which never resolves host names. */
public abstract class Uri implements Comparable<Uri> {
    public static final Uri EMPTY = new StringUri("");

    private Uri() {}

    public static Uri parse(String uriString) {
        return new StringUri(uriString);
    }

    public static Uri withAppendedPath(Uri baseUri, String pathSegment) {
        String base = baseUri.toString();
        return parse(base.endsWith("/") ? base + pathSegment : base + "/" + pathSegment);
    }

    public abstract String getScheme();

    public abstract String getAuthority();

    public abstract String getHost();

    public abstract String getPath();

    public abstract String getQuery();

    public abstract String getLastPathSegment();

    @Override public abstract String toString();

    @Override public boolean equals(Object o) { return o instanceof Uri && toString().equals(o.toString()); }

    @Override public int hashCode() { return toString().hashCode(); }

    @Override public int compareTo(Uri other) { return toString().compareTo(other.toString()); }

    private static final class StringUri extends Uri {
        private final String uriString;
        private final URI parsed;

        StringUri(String uriString) {
            if (uriString == null) throw new NullPointerException("uriString");
            this.uriString = uriString;
            URI p;
            try {
                p = new URI(uriString);
            } catch (URISyntaxException e) {
                p = null;
            }
            parsed = p;
        }

        @Override public String getScheme() { return parsed == null ? null : parsed.getScheme(); }
        @Override public String getAuthority() { return parsed == null ? null : parsed.getAuthority(); }
        @Override public String getHost() { return parsed == null ? null : parsed.getHost(); }
        @Override public String getPath() { return parsed == null ? null : parsed.getPath(); }
        @Override public String getQuery() { return parsed == null ? null : parsed.getQuery(); }

        @Override public String getLastPathSegment() {
            String path = getPath();
            if (path == null || path.isEmpty()) return null;
            String trimmed = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
            return trimmed.substring(trimmed.lastIndexOf('/') + 1);
        }

        @Override public String toString() { return uriString; }
    }
}
