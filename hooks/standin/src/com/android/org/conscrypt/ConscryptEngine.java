package com.android.org.conscrypt;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;

/**
 * Stand-in for Conscrypt's SSLEngine. As on Android, the application data it wraps and
 * unwraps is copied into a native buffer and handed to
 * {@link NativeCrypto#ENGINE_SSL_write_direct} / {@link NativeCrypto#ENGINE_SSL_read_direct}
 * with the engine itself as the handshake callbacks; the handshake is the JDK's.
 */
final class ConscryptEngine extends SSLEngine implements NativeCrypto.SSLHandshakeCallbacks {
    private static final AtomicLong NEXT_SSL = new AtomicLong(0x5500_0000_1000L);
    private static final int BUFFER = 32 * 1024;

    private final SSLEngine tls;
    private final NativeSsl ssl;
    private final long address = NativeCrypto.allocate(BUFFER);

    ConscryptEngine(SSLEngine tls, String host, int port) {
        super(host, port);
        this.tls = tls;
        this.ssl = new NativeSsl(NEXT_SSL.getAndAdd(0x100), tls);
    }

    @Override
    public synchronized SSLEngineResult wrap(ByteBuffer[] srcs, int offset, int length, ByteBuffer dst) throws SSLException {
        int pending = 0;
        for (int i = offset; i < offset + length; i++) {
            pending += srcs[i].remaining();
        }
        if (pending == 0 || tls.getHandshakeStatus() != SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING) {
            return tls.wrap(srcs, offset, length, dst);
        }
        int n = Math.min(pending, 16 * 1024);
        byte[] plain = new byte[n];
        int at = 0;
        for (int i = offset; i < offset + length && at < n; i++) {
            ByteBuffer src = srcs[i].duplicate();
            int take = Math.min(src.remaining(), n - at);
            src.get(plain, at, take);
            at += take;
        }
        NativeCrypto.copyIn(plain, n, address);
        ssl.network = dst;
        int consumed;
        try {
            consumed = NativeCrypto.ENGINE_SSL_write_direct(ssl.ssl, ssl, address, n, this);
        } catch (SSLException e) {
            throw e;
        } catch (java.io.IOException e) {
            throw new SSLException(e);
        }
        for (int i = offset, left = consumed; i < offset + length && left > 0; i++) {
            int take = Math.min(srcs[i].remaining(), left);
            srcs[i].position(srcs[i].position() + take);
            left -= take;
        }
        SSLEngineResult r = ssl.last;
        return new SSLEngineResult(r.getStatus(), r.getHandshakeStatus(), consumed, r.bytesProduced());
    }

    @Override
    public synchronized SSLEngineResult unwrap(ByteBuffer src, ByteBuffer[] dsts, int offset, int length) throws SSLException {
        int room = 0;
        for (int i = offset; i < offset + length; i++) {
            room += dsts[i].remaining();
        }
        if (tls.getHandshakeStatus() != SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING || room == 0) {
            return tls.unwrap(src, dsts, offset, length);
        }
        room = Math.min(room, BUFFER);
        ssl.network = src;
        int n;
        try {
            n = NativeCrypto.ENGINE_SSL_read_direct(ssl.ssl, ssl, address, room, this);
        } catch (SSLException e) {
            throw e;
        } catch (java.io.IOException e) {
            throw new SSLException(e);
        }
        byte[] plain = new byte[n];
        NativeCrypto.copyOut(address, plain, n);
        for (int i = offset, at = 0; i < offset + length && at < n; i++) {
            int take = Math.min(dsts[i].remaining(), n - at);
            dsts[i].put(plain, at, take);
            at += take;
        }
        return ssl.last;
    }

    @Override public void onSSLStateChange(int type, int val) {}

    @Override public Runnable getDelegatedTask() { return tls.getDelegatedTask(); }
    @Override public void closeInbound() throws SSLException { tls.closeInbound(); }
    @Override public boolean isInboundDone() { return tls.isInboundDone(); }
    @Override public void closeOutbound() { tls.closeOutbound(); }
    @Override public boolean isOutboundDone() { return tls.isOutboundDone(); }
    @Override public String[] getSupportedCipherSuites() { return tls.getSupportedCipherSuites(); }
    @Override public String[] getEnabledCipherSuites() { return tls.getEnabledCipherSuites(); }
    @Override public void setEnabledCipherSuites(String[] suites) { tls.setEnabledCipherSuites(suites); }
    @Override public String[] getSupportedProtocols() { return tls.getSupportedProtocols(); }
    @Override public String[] getEnabledProtocols() { return tls.getEnabledProtocols(); }
    @Override public void setEnabledProtocols(String[] protocols) { tls.setEnabledProtocols(protocols); }
    @Override public SSLSession getSession() { return tls.getSession(); }
    @Override public SSLSession getHandshakeSession() { return tls.getHandshakeSession(); }
    @Override public void beginHandshake() throws SSLException { tls.beginHandshake(); }
    @Override public SSLEngineResult.HandshakeStatus getHandshakeStatus() { return tls.getHandshakeStatus(); }
    @Override public void setUseClientMode(boolean mode) { tls.setUseClientMode(mode); }
    @Override public boolean getUseClientMode() { return tls.getUseClientMode(); }
    @Override public void setNeedClientAuth(boolean need) { tls.setNeedClientAuth(need); }
    @Override public boolean getNeedClientAuth() { return tls.getNeedClientAuth(); }
    @Override public void setWantClientAuth(boolean want) { tls.setWantClientAuth(want); }
    @Override public boolean getWantClientAuth() { return tls.getWantClientAuth(); }
    @Override public void setEnableSessionCreation(boolean flag) { tls.setEnableSessionCreation(flag); }
    @Override public boolean getEnableSessionCreation() { return tls.getEnableSessionCreation(); }
    @Override public SSLParameters getSSLParameters() { return tls.getSSLParameters(); }
    @Override public void setSSLParameters(SSLParameters params) { tls.setSSLParameters(params); }
    @Override public String getApplicationProtocol() { return tls.getApplicationProtocol(); }
    @Override public String getHandshakeApplicationProtocol() { return tls.getHandshakeApplicationProtocol(); }

    @Override
    public void setHandshakeApplicationProtocolSelector(BiFunction<SSLEngine, List<String>, String> selector) {
        tls.setHandshakeApplicationProtocolSelector(selector);
    }

    @Override
    public BiFunction<SSLEngine, List<String>, String> getHandshakeApplicationProtocolSelector() {
        return tls.getHandshakeApplicationProtocolSelector();
    }
}
