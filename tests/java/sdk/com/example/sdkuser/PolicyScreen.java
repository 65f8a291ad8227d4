package com.example.sdkuser;

import android.app.Dialog;
import android.content.Context;
import android.widget.TextView;
import java.util.function.Consumer;

/**
 * A consent screen in code loaded by a second class loader: its link class is resolved by
 * the VM when `new PolicyLink(...)` runs (no loadClass call the agent could see on ART).
 */
public class PolicyScreen implements Consumer<Context> {
    @Override
    public void accept(Context context) {
        for (int i = 0; i < 3; i++) {
            Dialog dialog = new Dialog(context);
            dialog.setTitle("用户协议与隐私政策");
            dialog.show();
            dialog.dismiss();
        }
        TextView text = new TextView(context);
        text.setText("请阅读《隐私政策》");
        PolicyLink link = new PolicyLink("https://www.example.com/privacy.html");
        new AgreeListener().onClick(text);
        link.onClick(text);
        // Two more dialogs: the first rescan after AgreeListener loaded rejects it, the
        // second answers it from the rejected cache.
        new Dialog(context).show();
        new Dialog(context).show();
    }
}
