package android.widget;

import android.content.Context;

public class Button extends TextView {
    public Button(Context context) {
        super(context);
        setClickable(true);  // the button style's android:clickable="true"
    }
}
