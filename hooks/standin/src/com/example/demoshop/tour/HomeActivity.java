package com.example.demoshop.tour;

import android.accounts.Account;
import android.accounts.AccountManager;
import android.app.Activity;
import android.app.AlertDialog;
import android.content.ContentResolver;
import android.content.Context;
import android.content.DialogInterface;
import android.content.pm.PackageManager;
import android.database.Cursor;
import android.hardware.Camera;
import android.media.AudioRecord;
import android.media.MediaRecorder;
import android.net.Uri;
import android.os.Handler;
import android.provider.CalendarContract;
import android.provider.ContactsContract;
import android.provider.MediaStore;
import android.provider.Telephony;
import android.telephony.TelephonyManager;
import android.text.style.URLSpan;
import android.view.MotionEvent;
import android.webkit.WebView;
import android.widget.CheckBox;
import android.widget.Toast;
import com.amap.api.location.AMapLocationClient;
import com.example.demoshop.net.Http;
import com.tencent.mmkv.MMKV;

/**
 * The app's home screen in the full tour: lifecycle (steps 10, 45, 51), the privacy dialog
 * and consent (11-16), permissions (17-20), its own reads (21, 28, 35-39) and the camera and
 * microphone behind on-screen buttons (40-43), the settings with the 个性化推荐 switch (65-66).
 */
public class HomeActivity extends Activity implements DialogInterface.OnClickListener {
    public static final String KEY_PRIVACY_AGREED = "privacy_agreed";
    public static final String POLICY_LINK = "https://www.demoshop.example/privacy";
    public static final String POLICY_ASSET = "file:///android_asset/privacy.html";
    public static final String NEARBY_URL = "https://api.demoshop.example/v1/stores/nearby";
    /** 我的 > 设置: the switch for personalised recommendations (个性化推荐), on by default, and where it is kept. */
    public static final String PERSONALISATION_LABEL = "个性化推荐";
    public static final String SETTINGS_PREFS = "settings";
    public static final String KEY_PERSONALISED = "personalized_recommendation";
    static final String PRIVACY_TITLE = "用户协议与隐私政策";
    static final String PRIVACY_MESSAGE = "欢迎使用演示商城！请仔细阅读《用户协议》和《隐私政策》：我们会在您授权后收集位置信息、"
            + "通讯录、短信验证码、日历、相册、相机和麦克风，用于门店推荐、邀请好友、登录、提醒、上传头像、扫码和语音搜索。";
    static final String AGREE_BOX_TEXT = "我已阅读并同意《用户协议》和《隐私政策》";
    static final int REQUEST_RUNTIME = 100;
    static final int REQUEST_BACKGROUND = 101;
    static final String[] RUNTIME_PERMISSIONS = {
        "android.permission.ACCESS_FINE_LOCATION", "android.permission.ACCESS_COARSE_LOCATION",
        "android.permission.READ_PHONE_STATE", "android.permission.READ_CONTACTS", "android.permission.READ_SMS",
        "android.permission.READ_CALENDAR", "android.permission.READ_MEDIA_IMAGES", "android.permission.GET_ACCOUNTS",
        "android.permission.CAMERA", "android.permission.RECORD_AUDIO",
    };
    static final String BACKGROUND_LOCATION = "android.permission.ACCESS_BACKGROUND_LOCATION";
    static final String ACTIVITY_RECOGNITION = "android.permission.ACTIVITY_RECOGNITION";
    static final int REQUEST_BACKGROUND_AGAIN = 102;
    static final int REQUEST_ACTIVITY = 103;
    static final String BACKGROUND_TOAST = "开启“始终允许”位置权限后，离店时也能为您提醒附近门店的优惠";
    static final String STEPS_TITLE = "开启“身体活动”权限";
    static final String STEPS_MESSAGE = "“步数换积分”需要读取您每天的运动步数，用于计算可兑换的积分。"
            + "接下来系统会询问是否允许演示商城访问您的身体活动。";
    public static final String STEPS_GO = "去开启";
    /** On-screen buttons: 扫一扫 (scan) on the left half of the top bar, 语音 (voice search) on the right. */
    public static final float SCAN_X = 120f;
    public static final float VOICE_X = 960f;
    public static final float TOP_BAR_Y = 160f;
    /** 步数换积分 (steps for points), a card below the top bar. */
    public static final float STEPS_X = 540f;
    public static final float CARDS_Y = 900f;

    private Handler mHandler;
    private CheckBox mAgreeBox;
    private CheckBox mPersonalisationSwitch;
    private boolean mResumedBefore;
    private int mPermissionRounds;
    private AMapLocationClient mLocation;
    private boolean mBackgroundAskedAgain;
    private boolean mActivityGranted;

    public HomeActivity() {}

    @Override
    protected void onCreate(android.os.Bundle savedInstanceState) {
        super.onCreate(savedInstanceState);
        mHandler = new Handler(getMainLooper());
    }

    @Override
    protected void onResume() {
        Tour.step(mResumedBefore ? 51 : 10, (mResumedBefore ? "user returns: " : "") + "HomeActivity resumes (Activity.onResume)");
        mResumedBefore = true;
        super.onResume();
    }

    @Override
    protected void onPause() {
        Tour.step(45, "user goes to the home screen: HomeActivity pauses (Activity.onPause); the app is in the background");
        super.onPause();
    }

    public void showPrivacyDialog() {
        Tour.step(11, "HomeActivity pre-checks the consent box (CompoundButton.setChecked(true))");
        mAgreeBox = new CheckBox(this);
        mAgreeBox.setText(AGREE_BOX_TEXT);
        mAgreeBox.setChecked(true);
        Tour.step(12, "HomeActivity shows the privacy dialog (Dialog.show)");
        new AlertDialog.Builder(this)
                .setTitle(PRIVACY_TITLE)
                .setMessage(PRIVACY_MESSAGE)
                .setView(mAgreeBox)
                .setPositiveButton("同意", this)
                .setNegativeButton("不同意", this)
                .setCancelable(false)
                .show();
    }

    /** The user taps 《隐私政策》 in the dialog; the app shows its bundled policy page. */
    public void openPolicyLink() {
        Tour.step(13, "user taps the 《隐私政策》 link (URLSpan.onClick)");
        new URLSpan(POLICY_LINK).onClick(mAgreeBox);
        Tour.step(14, "HomeActivity shows the policy page (WebView.loadUrl " + POLICY_ASSET + ")");
        WebView web = new WebView(this);
        web.loadUrl(POLICY_ASSET);
    }

    @Override
    public void onClick(DialogInterface dialog, int which) {
        if (which == DialogInterface.BUTTON_POSITIVE) mHandler.post(this::onPrivacyAgreed);
        else Tour.fail(Tour.EXIT_SCRIPT, "the user declined the privacy policy");
    }

    private void onPrivacyAgreed() {
        Tour.step(16, "HomeActivity stores the consent flag in MMKV (MMKV.encode privacy_agreed=true)");
        MMKV.defaultMMKV().encode(KEY_PRIVACY_AGREED, true);

        Tour.step(17, "HomeActivity checks the location permission (checkSelfPermission -> denied)");
        int state = checkSelfPermission(RUNTIME_PERMISSIONS[0]);
        Tour.check(state == PackageManager.PERMISSION_DENIED, "location was already granted before the request");
        Tour.step(18, "HomeActivity asks whether to show a rationale (shouldShowRequestPermissionRationale -> false)");
        Tour.check(!shouldShowRequestPermissionRationale(RUNTIME_PERMISSIONS[0]), "a rationale was expected to be unnecessary");
        Tour.step(19, "HomeActivity requests 10 runtime permissions (Activity.requestPermissions); all granted");
        requestPermissions(RUNTIME_PERMISSIONS, REQUEST_RUNTIME);
    }

    @Override
    public void onRequestPermissionsResult(int requestCode, String[] permissions, int[] grantResults) {
        mPermissionRounds++;
        if (requestCode == REQUEST_RUNTIME) {
            for (int r : grantResults) Tour.check(r == PackageManager.PERMISSION_GRANTED, "a runtime permission was denied");
            mHandler.post(() -> {
                Tour.step(20, "HomeActivity requests background location (Activity.requestPermissions); the user denies it");
                requestPermissions(new String[] {BACKGROUND_LOCATION}, REQUEST_BACKGROUND);
            });
        } else if (requestCode == REQUEST_BACKGROUND) {
            Tour.check(grantResults.length == 1 && grantResults[0] == PackageManager.PERMISSION_DENIED,
                    "background location was expected to be denied (-Dstandin.permissions.deny)");
        } else if (requestCode == REQUEST_BACKGROUND_AGAIN) {
            Tour.check(grantResults.length == 1 && grantResults[0] == PackageManager.PERMISSION_DENIED,
                    "background location was expected to be denied again");
            mBackgroundAskedAgain = true;
        } else if (requestCode == REQUEST_ACTIVITY) {
            mActivityGranted = grantResults.length == 1 && grantResults[0] == PackageManager.PERMISSION_GRANTED;
        }
    }

    /** Steps 59-60: a toast says why, then background location is asked for again, seconds after its denial. */
    public void askBackgroundLocationAgain() {
        Tour.step(59, "HomeActivity shows a toast about background location (Toast.show)");
        Toast.makeText(this, BACKGROUND_TOAST, Toast.LENGTH_LONG).show();
        Tour.step(60, "HomeActivity asks again for background location (Activity.requestPermissions); the user denies it again");
        requestPermissions(new String[] {BACKGROUND_LOCATION}, REQUEST_BACKGROUND_AGAIN);
    }

    public boolean backgroundLocationAskedAgain() {
        return mBackgroundAskedAgain;
    }

    public boolean activityRecognitionGranted() {
        return mActivityGranted;
    }

    /** Step 62: 步数换积分 explains itself before it asks (a rationale dialog naming 身体活动 and 步数). */
    private void showStepsRationale() {
        Tour.step(62, "HomeActivity explains 步数换积分 in a dialog (Dialog.show)");
        new AlertDialog.Builder(this)
                .setTitle(STEPS_TITLE)
                .setMessage(STEPS_MESSAGE)
                .setPositiveButton(STEPS_GO, (dialog, which) -> mHandler.post(this::requestActivityRecognition))
                .setNegativeButton("暂不", (dialog, which) -> { })
                .show();
    }

    private void requestActivityRecognition() {
        Tour.step(64, "HomeActivity requests ACTIVITY_RECOGNITION (Activity.requestPermissions); granted");
        requestPermissions(new String[] {ACTIVITY_RECOGNITION}, REQUEST_ACTIVITY);
    }

    public boolean permissionsAnswered() {
        return mPermissionRounds == 2;
    }

    /** Steps 21-22: the login form's phone number, then AMap starts (its fix arrives on the main looper). */
    public void startHome() {
        Tour.step(21, "HomeActivity prefills the login form with the phone number (TelephonyManager.getLine1Number)");
        TelephonyManager tm = (TelephonyManager) getSystemService(Context.TELEPHONY_SERVICE);
        Tour.expect("TelephonyManager.getLine1Number()", "phone_number", tm.getLine1Number());
        mLocation = new AMapLocationClient(getApplicationContext());
        mLocation.startLocation();
    }

    public AMapLocationClient location() {
        return mLocation;
    }

    /** Step 28: nearby stores from the app's own server, with AMap's fix. */
    public void loadNearbyStores() {
        Tour.check(mLocation != null && mLocation.hasFix(), "AMap delivered no fix");
        String url = NEARBY_URL + "?lat=" + mLocation.latitude() + "&lng=" + mLocation.longitude();
        if (Tour.send(28, "HomeActivity GETs " + url)) {
            try {
                Http.get(url, "User-Agent", "DemoShop/1.0.0 (Android 14)");
            } catch (Exception e) {
                Tour.requestFailed("GET " + url, e);
            }
        }
    }

    /** Steps 35-39: invite friends, SMS code autofill, reminders, avatar picker, login accounts. */
    public void loadPersonalPages() {
        ContentResolver cr = getContentResolver();
        Tour.step(35, "HomeActivity queries the contacts (ContentResolver.query content://com.android.contacts/...)");
        expectRows(cr, ContactsContract.CommonDataKinds.Phone.CONTENT_URI, new String[] {"display_name", "data1"}, 3);
        Tour.step(36, "HomeActivity queries the SMS inbox for a code (ContentResolver.query content://sms/inbox)");
        expectRows(cr, Telephony.Sms.Inbox.CONTENT_URI, new String[] {"address", "body"}, 2);
        Tour.step(37, "HomeActivity queries the calendar (ContentResolver.query content://com.android.calendar/events)");
        expectRows(cr, CalendarContract.Events.CONTENT_URI, new String[] {"title", "dtstart"}, 1);
        Tour.step(38, "HomeActivity queries the photos (ContentResolver.query content://media/external/images/media)");
        expectRows(cr, MediaStore.Images.Media.EXTERNAL_CONTENT_URI, new String[] {"_display_name", "_data"}, 1);
        Tour.step(39, "HomeActivity lists the accounts (AccountManager.getAccounts)");
        Account[] accounts = AccountManager.get(this).getAccounts();
        Tour.check(accounts.length > 0, "no accounts on the device");
    }

    private static void expectRows(ContentResolver cr, Uri uri, String[] projection, int rows) {
        try (Cursor c = cr.query(uri, projection, null, null, null)) {
            Tour.check(c != null && c.getCount() == rows, uri + " returned " + (c == null ? "null" : c.getCount() + " rows") + ", expected " + rows);
        }
    }

    /** The top bar's buttons: a tap on 扫一扫 opens the camera, on 语音 starts the microphone. */
    @Override
    public boolean onTouchEvent(MotionEvent event) {
        if (event.getActionMasked() != MotionEvent.ACTION_UP) return true;
        if (event.getY() > CARDS_Y - 200f) mHandler.post(this::showStepsRationale);
        else if (event.getX() < 540f) mHandler.post(this::openScanner);
        else mHandler.post(this::startVoiceSearch);
        return true;
    }

    private void openScanner() {
        Tour.step(41, "HomeActivity opens the camera for 扫一扫 (Camera.open)");
        Camera camera = Camera.open(0);
        camera.release();
    }

    private void startVoiceSearch() {
        Tour.step(43, "HomeActivity starts the microphone for voice search (AudioRecord.startRecording)");
        int size = AudioRecord.getMinBufferSize(16000, 16, 2);
        AudioRecord rec = new AudioRecord(MediaRecorder.AudioSource.MIC, 16000, 16, 2, size);
        rec.startRecording();
        rec.stop();
        rec.release();
    }

    /** Step 65: 我的 > 设置, with the 个性化推荐 switch on, as the app ships it. */
    public void openSettings() {
        Tour.step(65, "user opens 我的 > 设置: HomeActivity shows the settings with the 个性化推荐 switch on (Dialog.show)");
        mPersonalisationSwitch = new CheckBox(this);
        mPersonalisationSwitch.setText(PERSONALISATION_LABEL);
        mPersonalisationSwitch.setChecked(true);
        new AlertDialog.Builder(this)
                .setTitle("设置")
                .setMessage("推荐与广告")
                .setView(mPersonalisationSwitch)
                .show();
    }

    /** Step 66, after the user's tap on the switch: the app stores its new state. */
    public void savePersonalisation() {
        Tour.check(!mPersonalisationSwitch.isChecked(), "the 个性化推荐 switch is still on after the tap");
        getSharedPreferences(SETTINGS_PREFS, MODE_PRIVATE).edit()
                .putBoolean(KEY_PERSONALISED, mPersonalisationSwitch.isChecked()).apply();
    }
}
