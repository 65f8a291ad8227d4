package android.speech;

import android.content.ComponentName;
import android.content.Context;
import android.content.Intent;
import android.os.Bundle;
import android.os.Handler;
import android.os.Looper;

/**
 * Speech recognition on the stand-in's microphone, which records silence (see AudioRecord):
 * a session gets ready, hears nothing and ends with ERROR_SPEECH_TIMEOUT. Callbacks arrive
 * on the main thread, and as in AOSP the recognizer may only be used from it.
 */
public class SpeechRecognizer {
    public static final String RESULTS_RECOGNITION = "results_recognition";
    public static final int ERROR_NETWORK_TIMEOUT = 1;
    public static final int ERROR_NETWORK = 2;
    public static final int ERROR_AUDIO = 3;
    public static final int ERROR_SERVER = 4;
    public static final int ERROR_CLIENT = 5;
    public static final int ERROR_SPEECH_TIMEOUT = 6;
    public static final int ERROR_NO_MATCH = 7;
    public static final int ERROR_RECOGNIZER_BUSY = 8;
    public static final int ERROR_INSUFFICIENT_PERMISSIONS = 9;

    private final Context mContext;
    private final ComponentName mServiceComponent;
    private RecognitionListener mListener;
    private boolean mListening;

    private SpeechRecognizer(Context context, ComponentName serviceComponent) {
        mContext = context;
        mServiceComponent = serviceComponent;
    }

    public static boolean isRecognitionAvailable(Context context) {
        return true;
    }

    public static SpeechRecognizer createSpeechRecognizer(Context context) {
        return createSpeechRecognizer(context, null);
    }

    public static SpeechRecognizer createSpeechRecognizer(Context context, ComponentName serviceComponent) {
        if (context == null) throw new IllegalArgumentException("Context cannot be null");
        checkIsCalledFromMainThread();
        return new SpeechRecognizer(context, serviceComponent);
    }

    public void setRecognitionListener(RecognitionListener listener) {
        checkIsCalledFromMainThread();
        mListener = listener;
    }

    public void startListening(Intent recognizerIntent) {
        if (recognizerIntent == null) throw new IllegalArgumentException("intent must not be null");
        checkIsCalledFromMainThread();
        if (mListening) {
            post(l -> l.onError(ERROR_RECOGNIZER_BUSY));
            return;
        }
        mListening = true;
        post(l -> l.onReadyForSpeech(new Bundle()));
        post(l -> {
            mListening = false;
            l.onError(ERROR_SPEECH_TIMEOUT);
        });
    }

    public void stopListening() {
        checkIsCalledFromMainThread();
    }

    public void cancel() {
        checkIsCalledFromMainThread();
        mListening = false;
    }

    public void destroy() {
        mListening = false;
        mListener = null;
    }

    private void post(java.util.function.Consumer<RecognitionListener> callback) {
        new Handler(mContext.getMainLooper()).post(() -> {
            RecognitionListener l = mListener;
            if (l != null) callback.accept(l);
        });
    }

    private static void checkIsCalledFromMainThread() {
        Looper main = Looper.getMainLooper();
        if (main == null || !main.isCurrentThread()) {
            throw new RuntimeException("SpeechRecognizer should be used only from the application's main thread");
        }
    }
}
