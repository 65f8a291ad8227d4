package android.text;

/** The pre-API-11 text clipboard; android.content.ClipboardManager extends it. */
@Deprecated
public abstract class ClipboardManager {
    public ClipboardManager() {}

    public abstract CharSequence getText();

    public abstract void setText(CharSequence text);

    public abstract boolean hasText();
}
