package android.widget;

import android.content.Context;
import android.view.View;

public class TextView extends View {
    public enum BufferType { NORMAL, SPANNABLE, EDITABLE }

    private CharSequence mText = "";
    private CharSequence mHint;

    public TextView(Context context) {
        super(context);
    }

    public CharSequence getText() {
        return mText;
    }

    public final void setText(CharSequence text) {
        setText(text, BufferType.NORMAL);
    }

    public void setText(CharSequence text, BufferType type) {
        mText = text == null ? "" : text;
    }

    public int length() {
        return mText.length();
    }

    public CharSequence getHint() {
        return mHint;
    }

    public final void setHint(CharSequence hint) {
        mHint = hint;
    }
}
