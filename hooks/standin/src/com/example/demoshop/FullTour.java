package com.example.demoshop;

import android.app.ActivityThread;
import android.app.Application;
import android.speech.SpeechRecognizer;
import com.android.internal.standin.DeviceValues;
import com.bytedance.sdk.openadsdk.TTAdSdk;
import com.example.demoshop.tour.HomeActivity;
import com.example.demoshop.tour.PushProcess;
import com.example.demoshop.tour.Tour;
import com.example.demoshop.tour.TourApplication;
import com.igexin.sdk.PushManager;
import com.umeng.commonsdk.internal.UMInternalData;
import com.umeng.commonsdk.statistics.common.DeviceConfig;

/**
 * Plays docs/standin-fulltour.md: 68 steps in which Bugly, Getui (AES-encrypted upload),
 * Umeng (with the MSA OAID SDK), AMap, JPush (in a second process), Pangle and the app itself
 * touch every hooked family of personal data, around a privacy dialog with a pre-checked box,
 * then the app asks again for a denied permission and explains a feature before its request;
 * at the end the user turns personalised recommendations off and Pangle still sends the
 * advertising ID.
 *
 * Flags: -Dstandin.device, -Dstandin.offline=true, -Dstandin.gate (as the demo launcher),
 * -Dstandin.permissions.deny (default: android.permission.ACCESS_BACKGROUND_LOCATION).
 * Exit status: 0 done; 2 setup; 3 a framework value differed from the device's; 4 a request
 * failed; 5 script (including a failed :push process, whose own status is passed on).
 */
public final class FullTour {
    static final String DEFAULT_DENY = "android.permission.ACCESS_BACKGROUND_LOCATION";

    private FullTour() {}

    public static void main(String[] args) {
        try {
            DeviceValues.get("imei");
        } catch (IllegalStateException e) {
            Tour.fail(Tour.EXIT_SETUP, e.getMessage());
        }
        if (System.getProperty("standin.permissions.deny") == null) System.setProperty("standin.permissions.deny", DEFAULT_DENY);
        try {
            InstrumentationGate.awaitIfRequested();
            play();
        } catch (Throwable t) {
            t.printStackTrace();
            Tour.fail(1, "crashed: " + t);
        }
        System.exit(0);
    }

    private static void play() {
        ActivityThread thread = ActivityThread.systemMain();
        // Steps 1-9: the SDKs start in Application.onCreate, before anything is on screen.
        Application app = thread.bindApplication(TourApplication.PACKAGE_NAME, TourApplication.class.getName());
        // Step 10: the home screen resumes.
        HomeActivity home = (HomeActivity) thread.launchActivity(HomeActivity.class.getName());
        // Steps 11-14: the privacy dialog, its policy link and page.
        home.showPrivacyDialog();
        thread.runUntilIdle();
        home.openPolicyLink();
        // Steps 15-20: 同意, the consent flag, the permission requests and their answers.
        Tour.step(15, "user taps 同意 (View.performClick); the dialog is dismissed (Dialog.dismiss)");
        if (!ScriptedUser.tap("同意")) Tour.fail(Tour.EXIT_SCRIPT, "step 15: no 同意 button on screen");
        thread.runUntilIdle();
        Tour.check(home.permissionsAnswered(), "the permission requests were not answered");
        // Steps 21-28: the phone number, AMap's fix and uploads, nearby stores.
        home.startHome();
        thread.runUntilIdle();
        home.loadNearbyStores();
        // Steps 29-34: SDK reads after consent.
        PushManager.getInstance().collectDeviceProfile(app);
        UMInternalData.collectAfterConsent(app);
        // Steps 35-39: the app's own pages.
        home.loadPersonalPages();
        // Steps 40-43: taps on 扫一扫 and 语音, each followed by the device it opens.
        Tour.step(40, "user taps 扫一扫 (Activity.dispatchTouchEvent)");
        thread.tap(home, HomeActivity.SCAN_X, HomeActivity.TOP_BAR_Y);
        thread.runUntilIdle();
        Tour.step(42, "user taps 语音 (Activity.dispatchTouchEvent)");
        thread.tap(home, HomeActivity.VOICE_X, HomeActivity.TOP_BAR_Y);
        thread.runUntilIdle();
        // Step 44: Getui wakes a partner app.
        PushManager.getInstance().wakeUpPartners(app);
        thread.runUntilIdle();
        // Steps 45-47: in the background, AMap still reads and sends the location.
        thread.pauseActivity(home);
        home.location().backgroundFix();
        // Steps 48-50: the :push process.
        Tour.step(48, "the app starts its process " + PushProcess.PROCESS_NAME + " (ProcessBuilder) and waits for it");
        PushProcess.startAndWait();
        // Step 51: back to the app.
        thread.resumeActivity(home);
        // Steps 52-54: more identifiers for Getui and Umeng, in the foreground.
        PushManager.getInstance().readSimCards(app);
        PushManager.getInstance().collectAppUsage(app);
        DeviceConfig.getMac(app);
        // Steps 55-56: AMap's single fix and current location, delivered on the main thread.
        home.location().requestSingleFix();
        thread.runUntilIdle();
        home.location().requestCurrentLocation();
        thread.runUntilIdle();
        Tour.check(home.location().freshFixes() == 2, "AMap got " + home.location().freshFixes() + " of its 2 fresh fixes");
        // Steps 57-58: Pangle asks for permissions from a fragment, then listens on the microphone unasked.
        TTAdSdk.requestPermissionIfNecessary(home);
        thread.runUntilIdle();
        Tour.check(TTAdSdk.permissionsGranted(), "Pangle's permission request was not answered with both granted");
        TTAdSdk.startVoiceInteraction(home);
        thread.runUntilIdle();
        Tour.check(TTAdSdk.voiceSessionError() == SpeechRecognizer.ERROR_SPEECH_TIMEOUT,
                "Pangle's listening session did not end (error " + TTAdSdk.voiceSessionError() + ")");
        // Steps 59-60: the app asks again for the background location denied at step 20.
        home.askBackgroundLocationAgain();
        thread.runUntilIdle();
        Tour.check(home.backgroundLocationAskedAgain(), "the second background-location request was not answered");
        // Steps 61-64: 步数换积分: a tap, the app's rationale dialog, 去开启, then its one permission.
        Tour.step(61, "user taps 步数换积分 (Activity.dispatchTouchEvent)");
        thread.tap(home, HomeActivity.STEPS_X, HomeActivity.CARDS_Y);
        thread.runUntilIdle();
        Tour.step(63, "user taps " + HomeActivity.STEPS_GO + " (View.performClick); the dialog is dismissed");
        if (!ScriptedUser.tap(HomeActivity.STEPS_GO)) Tour.fail(Tour.EXIT_SCRIPT, "step 63: no " + HomeActivity.STEPS_GO + " button on screen");
        thread.runUntilIdle();
        Tour.check(home.activityRecognitionGranted(), "ACTIVITY_RECOGNITION was not granted");
        // Steps 65-66: the user turns 个性化推荐 off in 我的 > 设置 (the tester marks it: piiaudit/data/demo/tester-marks-full.yaml).
        home.openSettings();
        thread.runUntilIdle();
        Tour.step(66, "user taps 个性化推荐 (View.performClick): the switch turns off; HomeActivity stores "
                + HomeActivity.KEY_PERSONALISED + "=false (SharedPreferences.Editor.putBoolean)");
        if (!ScriptedUser.tap(HomeActivity.PERSONALISATION_LABEL)) Tour.fail(Tour.EXIT_SCRIPT, "step 66: no 个性化推荐 switch on screen");
        home.savePersonalisation();
        thread.runUntilIdle();
        // Steps 67-68: Pangle asks for an ad with the advertising ID all the same.
        TTAdSdk.loadAd(home);
        thread.runUntilIdle();
        Tour.finish();
    }
}
