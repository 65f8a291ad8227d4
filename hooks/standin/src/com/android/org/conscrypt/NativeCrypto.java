package com.android.org.conscrypt;

import java.io.FileDescriptor;
import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import sun.misc.Unsafe;

/**
 * Stand-in for the platform Conscrypt's JNI boundary (AOSP external/conscrypt,
 * common/src/main/java/org/conscrypt/NativeCrypto.java, repackaged to com.android.org.conscrypt).
 *
 * <p>Only the four calls that carry application plaintext are declared, with Conscrypt's
 * exact signatures. On Android they are native and BoringSSL encrypts; here they are Java
 * and the JDK's SSLEngine (held by the {@link NativeSsl}) does the TLS work, so the bytes an
 * app sends pass through methods of the same class, name and descriptor as on a device.
 * The engine forms read and write plaintext at a native address, as Conscrypt's do.
 */
public final class NativeCrypto {
    private static final Unsafe UNSAFE = unsafe();

    private NativeCrypto() {}

    /** Conscrypt's callbacks into the socket or engine that owns the SSL (both implement it). */
    interface SSLHandshakeCallbacks {
        void onSSLStateChange(int type, int val);
    }

    static int SSL_read(long ssl, NativeSsl ssl_holder, FileDescriptor fd, SSLHandshakeCallbacks shc,
            byte[] b, int off, int len, int readTimeoutMillis) throws IOException {
        throw new SSLException("the stand-in's Conscrypt has no socket mode (engine only)");
    }

    static void SSL_write(long ssl, NativeSsl ssl_holder, FileDescriptor fd, SSLHandshakeCallbacks shc,
            byte[] b, int off, int len, int writeTimeoutMillis) throws IOException {
        throw new SSLException("the stand-in's Conscrypt has no socket mode (engine only)");
    }

    /** Encrypts {@code length} plaintext bytes at {@code address}; the count consumed. */
    static int ENGINE_SSL_write_direct(long ssl, NativeSsl ssl_holder, long address, int length,
            SSLHandshakeCallbacks shc) throws IOException {
        byte[] plain = new byte[length];
        UNSAFE.copyMemory(null, address, plain, Unsafe.ARRAY_BYTE_BASE_OFFSET, length);
        SSLEngineResult result = ssl_holder.tls.wrap(ByteBuffer.wrap(plain), ssl_holder.network);
        ssl_holder.last = result;
        return result.bytesConsumed();
    }

    /** Decrypts into {@code address} (room for {@code length} bytes); the count produced. */
    static int ENGINE_SSL_read_direct(long ssl, NativeSsl ssl_holder, long address, int length,
            SSLHandshakeCallbacks shc) throws IOException {
        ByteBuffer plain = ByteBuffer.allocate(length);
        SSLEngineResult result = ssl_holder.tls.unwrap(ssl_holder.network, plain);
        ssl_holder.last = result;
        int n = result.bytesProduced();
        UNSAFE.copyMemory(plain.array(), Unsafe.ARRAY_BYTE_BASE_OFFSET, null, address, n);
        return n;
    }

    static long allocate(int size) {
        return UNSAFE.allocateMemory(size);
    }

    static void free(long address) {
        UNSAFE.freeMemory(address);
    }

    static void copyIn(byte[] from, int length, long address) {
        UNSAFE.copyMemory(from, Unsafe.ARRAY_BYTE_BASE_OFFSET, null, address, length);
    }

    static void copyOut(long address, byte[] to, int length) {
        UNSAFE.copyMemory(null, address, to, Unsafe.ARRAY_BYTE_BASE_OFFSET, length);
    }

    private static Unsafe unsafe() {
        try {
            Field f = Unsafe.class.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            return (Unsafe) f.get(null);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }
}
