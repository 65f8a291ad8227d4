package com.example.demoshop;

import android.Manifest;
import android.app.Activity;
import android.app.AlertDialog;
import android.content.DialogInterface;
import android.content.SharedPreferences;
import android.content.pm.PackageManager;
import android.os.Bundle;
import android.os.Handler;
import com.umeng.commonsdk.UMConfigure;

/**
 * Shows the privacy dialog (step 7); after 同意 stores the consent (9) and asks for location
 * (10). After 不同意 it reports the refusal to Umeng (9-10), then asks again with a second
 * prompt whose only choices are 同意 and 退出 (11), and after 退出 closes the screen and ends
 * the process (15-16): a common way apps answer a refusal (不同意即退出).
 */
public class MainActivity extends Activity implements DialogInterface.OnClickListener {
    static final String PREFS = "demoshop_settings";
    static final String KEY_PRIVACY_AGREED = "privacy_agreed";
    static final int REQUEST_LOCATION = 1001;
    static final String PRIVACY_TITLE = "用户协议与隐私政策";
    static final String PRIVACY_MESSAGE = "欢迎使用演示商城！我们非常重视您的个人信息保护。"
            + "在您使用前，请仔细阅读《用户协议》和《隐私政策》：为向您推荐附近门店，我们会在您授权后收集您的位置信息；"
            + "为完成订单配送，我们会收集您的手机号码。点击“同意”即表示您已阅读并同意上述协议。";
    static final String AGAIN_TITLE = "温馨提示";
    static final String AGAIN_MESSAGE = "您需要同意《用户协议》和《隐私政策》后才能继续使用演示商城。";

    private Handler mHandler;

    @Override
    protected void onCreate(Bundle savedInstanceState) {
        super.onCreate(savedInstanceState);
        mHandler = new Handler(getMainLooper());
        SharedPreferences prefs = getSharedPreferences(PREFS, MODE_PRIVATE);
        if (!prefs.getBoolean(KEY_PRIVACY_AGREED, false)) showPrivacyDialog();
    }

    private void showPrivacyDialog() {
        Scenario.step(7, "MainActivity shows the privacy dialog (Dialog.show)");
        new AlertDialog.Builder(this)
                .setTitle(PRIVACY_TITLE)
                .setMessage(PRIVACY_MESSAGE)
                .setPositiveButton("同意", this)
                .setNegativeButton("不同意", this)
                .setCancelable(false)
                .show();
    }

    @Override
    public void onClick(DialogInterface dialog, int which) {
        if (which == DialogInterface.BUTTON_POSITIVE) mHandler.post(this::onPrivacyAgreed);
        else mHandler.post(this::onPrivacyDeclined);
    }

    private void onPrivacyDeclined() {
        UMConfigure.submitPolicyGrantResult(getApplicationContext(), false);

        Scenario.step(11, "MainActivity asks again: " + AGAIN_MESSAGE + " (Dialog.show; buttons 同意 / 退出)");
        new AlertDialog.Builder(this)
                .setTitle(AGAIN_TITLE)
                .setMessage(AGAIN_MESSAGE)
                .setPositiveButton("同意", this)
                .setNegativeButton("退出", (d, which) -> mHandler.post(this::leave))
                .setCancelable(false)
                .show();
    }

    /** 退出 on the second prompt: the app closes its only screen and ends its process. */
    private void leave() {
        Scenario.step(15, "MainActivity closes its screen (Activity.finish)");
        finish();
        Scenario.step(16, "MainActivity ends the process (System.exit(0))");
        Scenario.finish();
        System.exit(0);
    }

    private void onPrivacyAgreed() {
        Scenario.step(9, "MainActivity stores the consent flag (SharedPreferencesImpl$EditorImpl.putBoolean + apply)");
        getSharedPreferences(PREFS, MODE_PRIVATE).edit().putBoolean(KEY_PRIVACY_AGREED, true).apply();

        Scenario.step(10, "MainActivity requests the location permission (Activity.requestPermissions; granted via dispatchRequestPermissionsResult)");
        requestPermissions(new String[] {Manifest.permission.ACCESS_FINE_LOCATION, Manifest.permission.ACCESS_COARSE_LOCATION}, REQUEST_LOCATION);
    }

    @Override
    public void onRequestPermissionsResult(int requestCode, String[] permissions, int[] grantResults) {
        if (requestCode != REQUEST_LOCATION) return;
        boolean granted = grantResults.length > 0;
        for (int r : grantResults) granted &= r == PackageManager.PERMISSION_GRANTED;
        if (!granted) {
            Scenario.fail(Scenario.EXIT_SCRIPT, "the location permission was not granted, so steps 11-14 cannot run");
            return;
        }
        // Posted, so the permission result is fully delivered before step 11 starts.
        mHandler.post(() -> new NearbyStores(this).load());
    }
}
