package android.webkit;

import android.content.Context;
import android.widget.AbsoluteLayout;
import java.util.Map;

/** Loads nothing (the stand-in has no browser engine); it remembers what it was asked to show. */
public class WebView extends AbsoluteLayout {
    private String mUrl;

    public WebView(Context context) {
        super(context);
    }

    public void loadUrl(String url) {
        loadUrl(url, null);
    }

    public void loadUrl(String url, Map<String, String> additionalHttpHeaders) {
        if (url == null) throw new NullPointerException("url");
        mUrl = url;
    }

    public void loadData(String data, String mimeType, String encoding) {
        mUrl = "data:" + mimeType + "," + data;
    }

    public void loadDataWithBaseURL(String baseUrl, String data, String mimeType, String encoding, String historyUrl) {
        mUrl = baseUrl != null ? baseUrl : "about:blank";
    }

    public void postUrl(String url, byte[] postData) {
        mUrl = url;
    }

    public String getUrl() {
        return mUrl;
    }

    public void destroy() {}
}
