package com.example.sdkuser;

import android.text.style.ClickableSpan;
import android.view.View;

/** The app's own 《隐私政策》 link: a ClickableSpan subclass that opens the policy page. */
public class PolicyLink extends ClickableSpan {
    private final String url;

    public PolicyLink(String url) {
        this.url = url;
    }

    @Override
    public void onClick(View widget) {
        System.out.println("policy link " + url);
    }

    public String getURL() {
        return url;
    }
}
