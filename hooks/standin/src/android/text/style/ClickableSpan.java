package android.text.style;

import android.view.View;

public abstract class ClickableSpan {
    public ClickableSpan() {}

    public abstract void onClick(View widget);
}
