package com.bytedance.sdk.openadsdk;

import android.app.Activity;
import android.app.Fragment;
import android.content.Context;
import android.content.Intent;
import android.content.pm.PackageManager;
import android.os.Bundle;
import android.speech.RecognitionListener;
import android.speech.RecognizerIntent;
import android.speech.SpeechRecognizer;
import com.example.demoshop.net.Http;
import com.example.demoshop.net.Json;
import com.example.demoshop.tour.Tour;
import com.google.android.gms.ads.identifier.AdvertisingIdClient;

/**
 * Pangle ads (穿山甲) in the tour: asks for the phone and coarse location permissions itself,
 * through an invisible fragment in the app's activity (step 57), and starts listening on the
 * microphone for a voice-interactive ad without the user having asked for anything (58); after
 * the user switched personalised recommendations off, it still asks for an ad with the
 * advertising ID (67-68).
 */
public final class TTAdSdk {
    static final String[] PERMISSIONS = {"android.permission.READ_PHONE_STATE", "android.permission.ACCESS_COARSE_LOCATION"};
    static final int REQUEST_CODE = 4097;
    static final String FRAGMENT_TAG = "tt_permission_fragment";
    public static final String AD_URL = "https://api-access.pangolin-sdk-toutiao.com/api/ad/union/sdk/get_ads/";

    private static int sPermissionResults = -1;
    private static int sVoiceError;

    private TTAdSdk() {}

    /** Step 57: the answer arrives later, on the main thread, in the fragment. */
    public static void requestPermissionIfNecessary(Activity activity) {
        Tour.step(57, "Pangle requests READ_PHONE_STATE and ACCESS_COARSE_LOCATION from an invisible fragment (Fragment.requestPermissions)");
        activity.getFragmentManager().beginTransaction().add(new PermissionFragment(), FRAGMENT_TAG).commitNow();
    }

    /** Whether the permission answer reached the fragment, every permission granted. */
    public static boolean permissionsGranted() {
        return sPermissionResults == PERMISSIONS.length;
    }

    /** Step 58: a voice-interactive ad listens; the callbacks arrive on the main thread. */
    public static void startVoiceInteraction(Context context) {
        Tour.step(58, "Pangle starts listening for a voice-interactive ad (SpeechRecognizer.startListening)");
        SpeechRecognizer recognizer = SpeechRecognizer.createSpeechRecognizer(context);
        recognizer.setRecognitionListener(new VoiceListener(recognizer));
        recognizer.startListening(new Intent(RecognizerIntent.ACTION_RECOGNIZE_SPEECH)
                .putExtra(RecognizerIntent.EXTRA_LANGUAGE_MODEL, RecognizerIntent.LANGUAGE_MODEL_FREE_FORM));
    }

    /** Steps 67-68: an ad request that carries the advertising ID, whatever the app's settings say. */
    public static void loadAd(Context context) {
        Tour.step(67, "Pangle reads the advertising ID (AdvertisingIdClient.getAdvertisingIdInfo().getId)");
        String gaid;
        try {
            gaid = AdvertisingIdClient.getAdvertisingIdInfo(context).getId();
        } catch (Exception e) {
            Tour.fail(Tour.EXIT_SCRIPT, "step 67: getAdvertisingIdInfo failed: " + e);
            return;
        }
        Tour.expect("AdvertisingIdClient$Info.getId()", "advertising_id", gaid);
        if (Tour.send(68, "Pangle POSTs an ad request with the advertising ID to " + AD_URL)) {
            String body = "{\"app\":{\"appid\":\"5123456\",\"package_name\":\"com.example.demoshop\"},"
                    + "\"device\":{\"gaid\":" + Json.q(gaid) + ",\"os\":\"Android\"},\"ad_slot\":{\"id\":\"887654321\"}}";
            try {
                Http.post(AD_URL, "application/json; charset=utf-8", body, "User-Agent", "Pangle/5.8.0 (Android 14)");
            } catch (Exception e) {
                Tour.requestFailed("POST " + AD_URL, e);
            }
        }
    }

    /** The error that ended the listening session (the stand-in's microphone hears silence), 0 before. */
    public static int voiceSessionError() {
        return sVoiceError;
    }

    public static final class PermissionFragment extends Fragment {
        public PermissionFragment() {}

        @Override
        public void onCreate(Bundle savedInstanceState) {
            super.onCreate(savedInstanceState);
            requestPermissions(PERMISSIONS, REQUEST_CODE);
        }

        @Override
        public void onRequestPermissionsResult(int requestCode, String[] permissions, int[] grantResults) {
            if (requestCode != REQUEST_CODE) return;
            int granted = 0;
            for (int r : grantResults) if (r == PackageManager.PERMISSION_GRANTED) granted++;
            sPermissionResults = granted;
            getActivity().getFragmentManager().beginTransaction().remove(this).commit();
        }
    }

    static final class VoiceListener implements RecognitionListener {
        private final SpeechRecognizer mRecognizer;

        VoiceListener(SpeechRecognizer recognizer) {
            mRecognizer = recognizer;
        }

        @Override public void onReadyForSpeech(Bundle params) {}
        @Override public void onBeginningOfSpeech() {}
        @Override public void onRmsChanged(float rmsdB) {}
        @Override public void onBufferReceived(byte[] buffer) {}
        @Override public void onEndOfSpeech() {}
        @Override public void onResults(Bundle results) { mRecognizer.destroy(); }
        @Override public void onPartialResults(Bundle partialResults) {}
        @Override public void onEvent(int eventType, Bundle params) {}

        @Override
        public void onError(int error) {
            sVoiceError = error;
            mRecognizer.destroy();
        }
    }
}
