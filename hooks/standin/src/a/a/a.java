package a.a;

import android.content.Context;
import android.media.AudioRecord;
import android.provider.Settings;

/**
 * An obfuscated helper as R8 leaves it after repackaging (`-repackageclasses a.a`): short
 * names, no SDK package. It does the reads; the SDK or app code that calls it is the actor.
 */
public final class a {
    private a() {}

    /** Settings.Secure ANDROID_ID. */
    public static String a(Context c) {
        return Settings.Secure.getString(c.getContentResolver(), Settings.Secure.ANDROID_ID);
    }

    /** Opens (and releases) the microphone: a constructor hook ({@code <init>}) under the helper. */
    public static int b() {
        AudioRecord record = new AudioRecord(1, 44100, 16, 2, 4096);
        int state = record.getState();
        record.release();
        return state;
    }
}
