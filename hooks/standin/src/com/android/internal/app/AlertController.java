package com.android.internal.app;

import android.content.Context;
import android.content.DialogInterface;
import android.os.Handler;
import android.os.Looper;
import android.view.View;
import android.view.Window;
import android.widget.Button;
import android.widget.LinearLayout;
import android.widget.TextView;

/**
 * Builds an AlertDialog's view tree (title, message, buttons) into its window, so the text
 * is found the way it is on a device: Window.getDecorView() and a walk over the ViewGroups.
 * A button click posts the listener call and then the dismissal to the main thread, as AOSP's
 * ButtonHandler does.
 */
public class AlertController {
    public static final int ID_TITLE = 0x01020016;   // com.android.internal.R.id.alertTitle
    public static final int ID_MESSAGE = 0x0102000b; // android.R.id.message
    public static final int ID_BUTTON1 = 0x01020019; // android.R.id.button1 (positive)
    public static final int ID_BUTTON2 = 0x0102001a; // android.R.id.button2 (negative)
    public static final int ID_BUTTON3 = 0x0102001b; // android.R.id.button3 (neutral)

    private final Context mContext;
    private final DialogInterface mDialogInterface;
    private final Window mWindow;
    private final Handler mHandler;

    private CharSequence mTitle;
    private CharSequence mMessage;
    private CharSequence mButtonPositiveText;
    private CharSequence mButtonNegativeText;
    private CharSequence mButtonNeutralText;
    private DialogInterface.OnClickListener mButtonPositiveListener;
    private DialogInterface.OnClickListener mButtonNegativeListener;
    private DialogInterface.OnClickListener mButtonNeutralListener;
    private Button mButtonPositive;
    private Button mButtonNegative;
    private Button mButtonNeutral;

    private final View.OnClickListener mButtonHandler = new View.OnClickListener() {
        @Override
        public void onClick(View v) {
            final DialogInterface.OnClickListener listener;
            final int which;
            if (v == mButtonPositive) {
                listener = mButtonPositiveListener;
                which = DialogInterface.BUTTON_POSITIVE;
            } else if (v == mButtonNegative) {
                listener = mButtonNegativeListener;
                which = DialogInterface.BUTTON_NEGATIVE;
            } else if (v == mButtonNeutral) {
                listener = mButtonNeutralListener;
                which = DialogInterface.BUTTON_NEUTRAL;
            } else {
                listener = null;
                which = 0;
            }
            if (listener != null) mHandler.post(() -> listener.onClick(mDialogInterface, which));
            // Post a message so we dismiss after the above handlers are executed.
            mHandler.post(mDialogInterface::dismiss);
        }
    };

    private View mView;

    public AlertController(Context context, DialogInterface di, Window window) {
        mContext = context;
        mDialogInterface = di;
        mWindow = window;
        Looper main = Looper.getMainLooper();
        mHandler = new Handler(main != null ? main : Looper.myLooper());
    }

    public void setTitle(CharSequence title) {
        mTitle = title;
    }

    public void setMessage(CharSequence message) {
        mMessage = message;
    }

    /** A custom view below the message (AOSP: the "custom" panel). */
    public void setView(View view) {
        mView = view;
    }

    public void setButton(int whichButton, CharSequence text, DialogInterface.OnClickListener listener) {
        switch (whichButton) {
            case DialogInterface.BUTTON_POSITIVE:
                mButtonPositiveText = text;
                mButtonPositiveListener = listener;
                break;
            case DialogInterface.BUTTON_NEGATIVE:
                mButtonNegativeText = text;
                mButtonNegativeListener = listener;
                break;
            case DialogInterface.BUTTON_NEUTRAL:
                mButtonNeutralText = text;
                mButtonNeutralListener = listener;
                break;
            default:
                throw new IllegalArgumentException("Button does not exist");
        }
    }

    public Button getButton(int whichButton) {
        switch (whichButton) {
            case DialogInterface.BUTTON_POSITIVE: return mButtonPositive;
            case DialogInterface.BUTTON_NEGATIVE: return mButtonNegative;
            case DialogInterface.BUTTON_NEUTRAL: return mButtonNeutral;
            default: return null;
        }
    }

    public void installContent() {
        LinearLayout parentPanel = new LinearLayout(mContext);
        parentPanel.setOrientation(LinearLayout.VERTICAL);
        if (mTitle != null) {
            TextView title = new TextView(mContext);
            title.setId(ID_TITLE);
            title.setText(mTitle);
            parentPanel.addView(title);
        }
        if (mMessage != null) {
            TextView message = new TextView(mContext);
            message.setId(ID_MESSAGE);
            message.setText(mMessage);
            parentPanel.addView(message);
        }
        if (mView != null) parentPanel.addView(mView);
        LinearLayout buttonPanel = new LinearLayout(mContext);
        buttonPanel.setOrientation(LinearLayout.HORIZONTAL);
        // Same order as AOSP's layout: negative, neutral, positive.
        mButtonNegative = makeButton(buttonPanel, ID_BUTTON2, mButtonNegativeText);
        mButtonNeutral = makeButton(buttonPanel, ID_BUTTON3, mButtonNeutralText);
        mButtonPositive = makeButton(buttonPanel, ID_BUTTON1, mButtonPositiveText);
        if (buttonPanel.getChildCount() > 0) parentPanel.addView(buttonPanel);
        mWindow.setContentView(parentPanel);
    }

    private Button makeButton(LinearLayout panel, int id, CharSequence text) {
        if (text == null) return null;
        Button b = new Button(mContext);
        b.setId(id);
        b.setText(text);
        b.setOnClickListener(mButtonHandler);
        panel.addView(b);
        return b;
    }
}
