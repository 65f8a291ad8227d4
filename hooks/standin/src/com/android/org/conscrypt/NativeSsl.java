package com.android.org.conscrypt;

import java.nio.ByteBuffer;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;

/**
 * Stand-in for Conscrypt's holder of one native SSL*. On Android it owns the BoringSSL
 * object; here it holds the JDK engine that does the TLS work behind the stand-in's
 * {@link NativeCrypto}, and the network buffers of the call in progress.
 */
final class NativeSsl {
    final long ssl;
    final SSLEngine tls;
    /** The network-side buffer of the current wrap (destination) or unwrap (source). */
    ByteBuffer network;
    SSLEngineResult last;

    NativeSsl(long ssl, SSLEngine tls) {
        this.ssl = ssl;
        this.tls = tls;
    }
}
