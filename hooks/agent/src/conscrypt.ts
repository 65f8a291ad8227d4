// Conscrypt at the Java level: the plaintext an app's TLS carries, caught where Conscrypt's
// Java code hands it to BoringSSL (NativeCrypto.SSL_write / SSL_read for sockets,
// ENGINE_SSL_write_direct / ENGINE_SSL_read_direct for SSLEngine users such as OkHttp on
// Conscrypt's engine socket, gRPC, Netty). Rows in the hook table name the class in both
// packages: the platform's `com.android.org.conscrypt` and the Play services provider's
// `com.google.android.gms.org.conscrypt`, whose libconscrypt_gmscore_jni.so links BoringSSL
// statically and exports no SSL_write for tls.ts to hook.
//
// Signatures (google/conscrypt, common/src/main/java/org/conscrypt/NativeCrypto.java):
//   static native int  SSL_read(long ssl, NativeSsl ssl_holder, FileDescriptor fd,
//                               SSLHandshakeCallbacks shc, byte[] b, int off, int len, int readTimeoutMillis)
//   static native void SSL_write(long ssl, NativeSsl ssl_holder, FileDescriptor fd,
//                               SSLHandshakeCallbacks shc, byte[] b, int off, int len, int writeTimeoutMillis)
//   static native int  ENGINE_SSL_read_direct(long ssl, NativeSsl ssl_holder, long address, int length,
//                               SSLHandshakeCallbacks shc)   -- > 0: bytes read into address
//   static native int  ENGINE_SSL_write_direct(long ssl, NativeSsl ssl_holder, long address, int length,
//                               SSLHandshakeCallbacks shc)   -- > 0: bytes written from address
// The `shc` argument is the socket (ConscryptFileDescriptorSocket) or the engine
// (ConscryptEngine) itself, both implement SSLHandshakeCallbacks: the peer comes from
// Socket.getInetAddress()/getPort() or SSLEngine.getPeerHost()/getPeerPort().
//
// Events have the shape of tls.ts's (kind tls_write / tls_read, data.ssl_ptr as the SSL*
// in hex, so tls_flows.py joins them to the same connection). While a Java hook runs on a
// thread, tls.ts's native hooks skip that thread: platform Conscrypt's SSL_write reaches
// libssl.so's, which would otherwise report the same bytes twice.
import Java from "frida-java-bridge";

import { Chunk, EMPTY, MAX_BYTES, base64, javaBytes, nativeBytes, truncated, utf8 } from "./bytes.js";
import { Call, Describer, Detail } from "./hook.js";

/** Threads inside a hooked NativeCrypto call (read by tls.ts). */
export const javaTlsThreads = new Set<number>();

let SSLEngine: Java.Wrapper | null = null;
let Socket: Java.Wrapper | null = null;

/**
 * A Java long holding a native pointer, as "0x..." hex. The bridge passes longs through as
 * they come from JNI (types.js: long fromJni identity, an Int64 or a number), signed; on
 * arm64 Android heap pointers carry a tag in the top byte (0xb4...), i.e. they are negative
 * as a long, so the value is read as unsigned 64-bit.
 */
function hex(value: unknown): string {
    return "0x" + BigInt.asUintN(64, BigInt(String(value))).toString(16);
}

/** "host:port" of the socket or engine passed as SSLHandshakeCallbacks, or null. */
export function peerOf(shc: unknown): string | null {
    if (shc === null || shc === undefined) {
        return null;
    }
    SSLEngine ??= Java.use("javax.net.ssl.SSLEngine");
    Socket ??= Java.use("java.net.Socket");
    const obj = shc as Java.Wrapper;
    if (SSLEngine.class.isInstance(obj)) {
        const engine = Java.cast(obj, SSLEngine);
        const host = engine.getPeerHost();
        const port = Number(engine.getPeerPort());
        return host === null ? null : `${String(host)}:${port}`;
    }
    if (Socket.class.isInstance(obj)) {
        const socket = Java.cast(obj, Socket);
        const address = socket.getInetAddress();
        return address === null ? null : `${String(address.getHostAddress())}:${Number(socket.getPort())}`;
    }
    return null;
}

function enter(): unknown {
    javaTlsThreads.add(Process.getCurrentThreadId());
    return null;
}

function leave(): void {
    javaTlsThreads.delete(Process.getCurrentThreadId());
}

function detail(call: Call, chunk: Chunk, count: number, mode: "socket" | "engine", shcIndex: number): Detail {
    const className = call.hooked.substring(0, call.hooked.lastIndexOf("."));
    return {
        value: utf8(chunk.bytes),
        data: {
            lib: className,
            mode,
            ssl_ptr: hex(call.args[0]),
            fd: null,
            peer: peerOf(call.args[shcIndex]),
            bytes_b64: base64(chunk.bytes),
            len: count,
            truncated: truncated(chunk),
        },
    };
}

/** SSL_write(ssl, holder, fd, shc, b, off, len, timeout): returns void, throws on failure. */
const socketWrite: Describer = {
    before(call) {
        enter();
        return javaBytes(call.args[4], Number(call.args[5]), Number(call.args[6]), MAX_BYTES);
    },
    after(call) {
        leave();
        const chunk = (call.snapshot as Chunk | undefined) ?? EMPTY;
        if (call.error !== undefined || chunk.length <= 0) {
            return null;
        }
        return detail(call, chunk, chunk.length, "socket", 3);
    },
};

/** SSL_read(ssl, holder, fd, shc, b, off, len, timeout): the count read into b[off..], -1 at the end. */
const socketRead: Describer = {
    before: enter,
    after(call) {
        leave();
        const count = Number(call.ret);
        if (call.error !== undefined || !(count > 0)) {
            return null;
        }
        return detail(call, javaBytes(call.args[4], Number(call.args[5]), count, MAX_BYTES), count, "socket", 3);
    },
};

/** ENGINE_SSL_write_direct / ENGINE_SSL_read_direct(ssl, holder, address, length, shc): the count moved. */
const engineDirect: Describer = {
    before: enter,
    after(call) {
        leave();
        const count = Number(call.ret);
        if (call.error !== undefined || !(count > 0)) {
            return null;
        }
        const address = ptr(hex(call.args[2]));
        return detail(call, nativeBytes(address, count, MAX_BYTES), count, "engine", 4);
    },
};

export const describers: Record<string, Describer> = { socketWrite, socketRead, engineDirect };
