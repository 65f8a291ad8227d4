package com.example.sdkuser;

import android.view.View;

/** A click listener of the consent screen: it has an onClick too, but is not a span. */
public class AgreeListener implements View.OnClickListener {
    @Override
    public void onClick(View view) {
        System.out.println("agree tapped");
    }
}
