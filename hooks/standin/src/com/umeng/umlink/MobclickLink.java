package com.umeng.umlink;

import android.content.ClipData;
import android.content.ClipboardManager;
import android.content.Context;

/** Umeng U-Link (deferred deep links): reads the clipboard looking for an install token. */
public final class MobclickLink {
    private MobclickLink() {}

    /** The clipboard text it inspected (null when empty). */
    public static String getInstallParams(Context context) {
        ClipboardManager cm = (ClipboardManager) context.getSystemService(Context.CLIPBOARD_SERVICE);
        ClipData clip = cm.getPrimaryClip();
        if (clip == null || clip.getItemCount() == 0) return null;
        CharSequence text = clip.getItemAt(0).getText();
        return text == null ? null : text.toString();
    }
}
