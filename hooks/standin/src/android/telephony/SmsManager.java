package android.telephony;

import android.app.PendingIntent;
import android.util.Log;
import java.util.ArrayList;

/** Sends nothing: the stand-in has no radio. */
public final class SmsManager {
    private static final SmsManager sInstance = new SmsManager();

    private SmsManager() {}

    @Deprecated
    public static SmsManager getDefault() {
        return sInstance;
    }

    public void sendTextMessage(String destinationAddress, String scAddress, String text, PendingIntent sentIntent, PendingIntent deliveryIntent) {
        if (destinationAddress == null || destinationAddress.isEmpty()) throw new IllegalArgumentException("Invalid destinationAddress");
        if (text == null || text.isEmpty()) throw new IllegalArgumentException("Invalid message body");
        Log.i("SmsManager", "not sending an SMS to " + destinationAddress + " (stand-in device)");
    }

    public ArrayList<String> divideMessage(String text) {
        ArrayList<String> parts = new ArrayList<>();
        for (int i = 0; i < text.length(); i += 70) parts.add(text.substring(i, Math.min(text.length(), i + 70)));
        return parts;
    }

    public void sendMultipartTextMessage(String destinationAddress, String scAddress, ArrayList<String> parts,
                                         ArrayList<PendingIntent> sentIntents, ArrayList<PendingIntent> deliveryIntents) {
        for (String part : parts) sendTextMessage(destinationAddress, scAddress, part, null, null);
    }

    public void sendDataMessage(String destinationAddress, String scAddress, short destinationPort, byte[] data,
                                PendingIntent sentIntent, PendingIntent deliveryIntent) {
        if (data == null || data.length == 0) throw new IllegalArgumentException("Invalid message data");
        Log.i("SmsManager", "not sending a data SMS to " + destinationAddress + " (stand-in device)");
    }
}
