package com.example.demoshop;

import android.app.ActivityThread;
import android.content.Intent;
import cn.jpush.android.service.PushService;
import com.android.internal.standin.DeviceValues;
import com.android.internal.standin.screen.Screen;

/**
 * Plays docs/standin-scenario.md on the stand-in framework: the process starts and the
 * Application initialises the SDKs (steps 1-6), MainActivity shows the privacy dialog (7),
 * the scripted user taps 同意 (8), the app stores consent, gets the location permission and
 * loads nearby stores (9-12), then the system starts JPush's service (13-14). With
 * -Dstandin.consent=decline the user taps 不同意 (8), Umeng still reports (9-10), the app
 * asks again (11), JPush's service runs (12-13), the user taps 退出 (14) and the app closes
 * and exits (15-16); with none the dialog stays unanswered (8) while JPush's service runs (9-10).
 *
 * Flags: -Dstandin.device=<properties> (device values), -Dstandin.offline=true (no sends),
 * -Dstandin.gate=<seconds> (wait for instrumentation before step 1),
 * -Dstandin.consent=accept|decline|none (the scripted user's answer; default accept),
 * -Dstandin.user=device (the answers come as taps through the screen, -Dstandin.screen; see DeviceUser).
 * Exit status: 0 done; 2 setup; 3 a framework value differed from the device's; 4 a request failed; 5 script.
 */
public final class DemoShopLauncher {
    static final String PACKAGE_NAME = "com.example.demoshop";
    static final String PUSH_ACTION = "cn.jpush.android.intent.RECEIVE_MESSAGE";

    private DemoShopLauncher() {}

    /** Step n: the scripted user taps {@code label}, then the app's queued work runs. */
    private static void tap(int n, String label, ActivityThread thread) {
        Scenario.step(n, "user taps " + label + " (View.performClick)");
        if (!ScriptedUser.tap(label)) Scenario.fail(Scenario.EXIT_SCRIPT, "step " + n + ": no " + label + " button on screen");
        thread.runUntilIdle();
    }

    public static void main(String[] args) {
        try {
            DeviceValues.get("imei");
        } catch (IllegalStateException e) {
            Scenario.fail(Scenario.EXIT_SETUP, e.getMessage());
        }
        try {
            InstrumentationGate.awaitIfRequested();
            // Device mode: taps are held until the launcher waits for the answer (DeviceUser.await),
            // so one sent as soon as the dialog shows is never taken before the launcher listens.
            if (DeviceUser.active()) Screen.holdInput(true);
            ActivityThread thread = ActivityThread.systemMain();
            thread.bindApplication(PACKAGE_NAME, DemoShopApplication.class.getName());
            thread.launchActivity(MainActivity.class.getName());
            thread.runUntilIdle();

            boolean onScreen = DeviceUser.active();
            ScriptedUser.Answer answer;
            String[] labels = {};
            if (onScreen) {
                // The person at the screen answers: a tap on 同意 or 不同意 arrives through the
                // screen protocol; nothing within the wait leaves the dialog unanswered.
                String tapped = DeviceUser.await(thread, DeviceUser.PRIVACY_LABELS, label -> {
                    boolean agreed = "同意".equals(label);
                    Scenario.answered(agreed ? ScriptedUser.Answer.ACCEPT : ScriptedUser.Answer.DECLINE);
                    // After 不同意 the push (12-13) reaches the app before the next tap, as in the script.
                    if (!agreed) Screen.holdInput(true);
                    Scenario.step(8, "user taps " + label + " (View.performClick)");
                });
                if (tapped == null) {
                    Scenario.answered(ScriptedUser.Answer.NONE);
                    Scenario.step(8, "user leaves the privacy dialog unanswered (no tap)");
                }
                answer = Scenario.answer();
            } else {
                answer = ScriptedUser.answer();
                labels = ScriptedUser.labels(answer);
                if (answer == ScriptedUser.Answer.NONE) {
                    Scenario.step(8, "user leaves the privacy dialog unanswered (no tap)");
                } else {
                    tap(8, labels[0], thread);
                }
            }
            // A push arrives: the system starts the push SDK's service in the app process.
            Intent push = new Intent(PUSH_ACTION).setClassName(PACKAGE_NAME, PushService.class.getName());
            thread.startService(PushService.class.getName(), push);
            thread.runUntilIdle();

            // After a refusal the app asked again; the user answers 退出 and the app ends the
            // process itself (MainActivity.leave), so a return from this tap is a script error.
            if (answer == ScriptedUser.Answer.DECLINE && !onScreen) tap(14, labels[1], thread);
            if (answer == ScriptedUser.Answer.DECLINE && onScreen) {
                String tapped = DeviceUser.await(thread, DeviceUser.SECOND_PROMPT_LABELS,
                        label -> Scenario.step(14, "user taps " + label + " (View.performClick)"));
                if (tapped == null) {
                    Scenario.note("the second prompt was left unanswered; the run ends after step 13");
                    Scenario.secondPromptUnanswered();
                }
            }

            Scenario.finish();
        } catch (Throwable t) {
            t.printStackTrace();
            Scenario.fail(1, "crashed: " + t);
        }
        System.exit(0);
    }
}
