package com.android.org.conscrypt;

import java.security.KeyManagementException;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;

/**
 * Stand-in entry point: an SSLContext whose engines are {@link ConscryptEngine}s, as an
 * Android app's default SSLContext hands out Conscrypt's. Socket mode is not provided.
 */
public final class Conscrypt {
    private Conscrypt() {}

    public static SSLContext newEngineContext(TrustManager[] trust)
            throws NoSuchAlgorithmException, KeyManagementException {
        SSLContext jdk = SSLContext.getInstance("TLS");
        jdk.init(null, trust, new SecureRandom());
        SSLContextSpi spi = new SSLContextSpi() {
            @Override protected void engineInit(KeyManager[] km, TrustManager[] tm, SecureRandom sr) {}
            @Override protected SSLSocketFactory engineGetSocketFactory() { throw new UnsupportedOperationException("engine only"); }
            @Override protected SSLServerSocketFactory engineGetServerSocketFactory() { throw new UnsupportedOperationException("engine only"); }
            @Override protected SSLEngine engineCreateSSLEngine() { return new ConscryptEngine(jdk.createSSLEngine(), null, -1); }
            @Override protected SSLEngine engineCreateSSLEngine(String host, int port) {
                return new ConscryptEngine(jdk.createSSLEngine(host, port), host, port);
            }
            @Override protected SSLSessionContext engineGetServerSessionContext() { return jdk.getServerSessionContext(); }
            @Override protected SSLSessionContext engineGetClientSessionContext() { return jdk.getClientSessionContext(); }
            @Override protected javax.net.ssl.SSLParameters engineGetDefaultSSLParameters() { return jdk.getDefaultSSLParameters(); }
            @Override protected javax.net.ssl.SSLParameters engineGetSupportedSSLParameters() { return jdk.getSupportedSSLParameters(); }
        };
        SSLContext context = new SSLContext(spi, jdk.getProvider(), "TLS") {};
        return context;
    }
}
