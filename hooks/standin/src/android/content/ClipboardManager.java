package android.content;

import com.android.internal.standin.DeviceValues;

/** The clipboard initially holds the device profile's clipboard canary (plain text). */
public class ClipboardManager extends android.text.ClipboardManager {
    private final Context mContext;
    private ClipData mClip;

    public ClipboardManager(Context context) {
        mContext = context;
        mClip = ClipData.newPlainText("standin", DeviceValues.get("clipboard"));
    }

    public void setPrimaryClip(ClipData clip) {
        if (clip == null) throw new NullPointerException("clip");
        mClip = clip;
    }

    public void clearPrimaryClip() {
        mClip = null;
    }

    public ClipData getPrimaryClip() {
        return mClip;
    }

    public ClipDescription getPrimaryClipDescription() {
        return mClip == null ? null : mClip.getDescription();
    }

    public boolean hasPrimaryClip() {
        return mClip != null;
    }

    @Deprecated
    @Override
    public CharSequence getText() {
        ClipData clip = getPrimaryClip();
        return clip != null && clip.getItemCount() > 0 ? clip.getItemAt(0).coerceToText(mContext) : null;
    }

    @Deprecated
    @Override
    public void setText(CharSequence text) {
        setPrimaryClip(ClipData.newPlainText(null, text));
    }

    @Deprecated
    @Override
    public boolean hasText() {
        return mClip != null && mClip.getItemCount() > 0 && mClip.getItemAt(0).getText() != null;
    }
}
