package android.content.res;

import java.util.HashMap;
import java.util.Map;

/**
 * Only resource names (enough to name a view by its id, android:id/button1, ...) and the
 * framework's own button labels (android.R.string.ok / cancel), for dialogs built from ids.
 */
public class Resources {
    private static final Map<Integer, String[]> NAMES = new HashMap<>();
    private static final Map<Integer, String> STRINGS = new HashMap<>();

    static {
        NAMES.put(0x01020002, new String[] {"android", "id", "content"});
        NAMES.put(0x0102000b, new String[] {"android", "id", "message"});
        NAMES.put(0x01020016, new String[] {"android", "id", "alertTitle"});
        NAMES.put(0x01020019, new String[] {"android", "id", "button1"});
        NAMES.put(0x0102001a, new String[] {"android", "id", "button2"});
        NAMES.put(0x0102001b, new String[] {"android", "id", "button3"});
        NAMES.put(0x01040000, new String[] {"android", "string", "cancel"});
        NAMES.put(0x0104000a, new String[] {"android", "string", "ok"});
        STRINGS.put(0x01040000, "Cancel");
        STRINGS.put(0x0104000a, "OK");
    }

    /** Hidden constructor. */
    public Resources() {}

    private static String[] lookup(int resid) {
        String[] n = NAMES.get(resid);
        if (n == null) throw new NotFoundException("Unable to find resource ID #0x" + Integer.toHexString(resid));
        return n;
    }

    public CharSequence getText(int id) throws NotFoundException {
        String text = STRINGS.get(id);
        if (text == null) throw new NotFoundException("String resource ID #0x" + Integer.toHexString(id));
        return text;
    }

    public String getResourceName(int resid) throws NotFoundException {
        String[] n = lookup(resid);
        return n[0] + ":" + n[1] + "/" + n[2];
    }

    public String getResourcePackageName(int resid) throws NotFoundException {
        return lookup(resid)[0];
    }

    public String getResourceTypeName(int resid) throws NotFoundException {
        return lookup(resid)[1];
    }

    public String getResourceEntryName(int resid) throws NotFoundException {
        return lookup(resid)[2];
    }

    public static class NotFoundException extends RuntimeException {
        public NotFoundException() {}

        public NotFoundException(String name) {
            super(name);
        }
    }
}
