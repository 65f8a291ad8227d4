// Below TLS: the plaintext an app hands to its TLS library and gets back from it, caught at
// SSL_write / SSL_read (and the _ex variants of OpenSSL 1.1.1+). This sees what pinned apps
// send, which the proxy cannot. Libraries: OpenSSL (libssl.so.3 and friends), BoringSSL
// (Android's libssl.so), Conscrypt's JNI library where it exports the symbols. Hooks go in
// when the library is loaded (module observer), so a library loaded late is covered too.
// libjavacrypto.so (platform Conscrypt's JNI glue) is not matched: it exports no SSL_read /
// SSL_write of its own (it calls libssl.so's, hooked here) and would only add two
// "method-missing" rows per process. Conscrypt is also hooked at the Java level (the
// NativeCrypto rows of the hook table, conscrypt.ts), which covers the GMS provider whose
// libconscrypt_gmscore_jni.so links BoringSSL statically and exports nothing.
//
// Each call becomes one event, kind tls_write / tls_read, with up to MAX_BYTES of
// plaintext, the SSL*, its socket and, where cheap, the peer address.
import { MAX_BYTES, base64, nativeBytes, truncated, utf8 } from "./bytes.js";
import { javaTlsThreads } from "./conscrypt.js";
import { emitCoverage } from "./coverage.js";
import { Moment, emit, moment } from "./emit.js";
import { Coverage } from "./hook.js";

const TLS_LIBRARY = /^(libssl\.so(\.[0-9.]+)?|libssl-[0-9.]+\.so|libboringssl\.so|libconscrypt_jni\.so|libssl\.[0-9.]+\.dylib|libssl\.dylib)$/;
const AF_INET = 2;
const AF_INET6 = 10;

interface Peer {
    fd: number | null;
    peer: string | null;
}

interface LibraryHooks {
    getFd: NativeFunction<number, [NativePointerValue]> | null;
    peers: Map<string, Peer>;
}

const instrumented = new Set<string>();
let getpeername: NativeFunction<number, [number, NativePointerValue, NativePointerValue]> | null = null;
let sent = 0;
let limit = { burst: 500, perSecond: 100 };
let tokens = limit.burst;
let lastRefill = Date.now();
let suppressed = 0;

export function tlsStats(): Record<string, number> {
    return { events: sent, suppressed, libraries: instrumented.size };
}

/** Hooks the TLS libraries already loaded and every one loaded later. */
export function watchTls(): void {
    const libc = Process.findModuleByName("libc.so.6") ?? Process.findModuleByName("libc.so");
    const address = libc?.findExportByName("getpeername") ?? Module.findGlobalExportByName("getpeername");
    if (address !== null) {
        getpeername = new NativeFunction(address, "int", ["int", "pointer", "pointer"]);
    }
    for (const module of Process.enumerateModules()) {
        instrument(module, "install");
    }
    Process.attachModuleObserver({
        onAdded(module) {
            instrument(module, "module-loaded");
        },
    });
}

function instrument(module: Module, via: string): void {
    if (!TLS_LIBRARY.test(module.name) || instrumented.has(module.path)) {
        return;
    }
    instrumented.add(module.path);
    const find = (name: string): NativePointer | null =>
        module.findExportByName(name) ?? module.findSymbolByName(name);
    const getFdAddress = find("SSL_get_fd");
    const hooks: LibraryHooks = {
        getFd: getFdAddress !== null ? new NativeFunction(getFdAddress, "int", ["pointer"]) : null,
        peers: new Map(),
    };
    const records: Coverage[] = [];
    const attach = (name: string, direction: "tls_write" | "tls_read", ex: boolean): void => {
        const api = `${module.name}!${name}`;
        const hook = direction === "tls_write" ? "tls.write" : "tls.read";
        const address = find(name);
        if (address === null) {
            records.push({ hook, api, status: "method-missing", at_ms: Date.now(), via });
            return;
        }
        try {
            Interceptor.attach(address, callbacks(module.name, api, direction, ex, hooks));
            records.push({ hook, api, status: "hooked", at_ms: Date.now(), via });
        } catch (e) {
            records.push({ hook, api, status: "hook-failed", error: String(e), at_ms: Date.now(), via });
        }
    };
    attach("SSL_write", "tls_write", false);
    attach("SSL_read", "tls_read", false);
    if (find("SSL_write_ex") !== null) {
        attach("SSL_write_ex", "tls_write", true);
        attach("SSL_read_ex", "tls_read", true);
    }
    emitCoverage(records, Date.now());
}

interface CallState {
    ssl: NativePointer;
    buf: NativePointer;
    /** SSL_write: bytes offered; SSL_read: buffer size. */
    num: number;
    /** The _ex variants report the count through this pointer. */
    countOut: NativePointer | null;
    at: Moment;
}

function callbacks(lib: string, api: string, kind: "tls_write" | "tls_read", ex: boolean, hooks: LibraryHooks): InvocationListenerCallbacks {
    return {
        onEnter(args) {
            if (javaTlsThreads.size > 0 && javaTlsThreads.has(this.threadId)) {
                return;  // inside a hooked Conscrypt NativeCrypto call: reported there (conscrypt.ts)
            }
            const state: CallState = {
                ssl: args[0],
                buf: args[1],
                num: ex ? Number(args[2].toString()) : args[2].toInt32(),
                countOut: ex ? args[3] : null,
                at: moment(),
            };
            (this as unknown as { state: CallState }).state = state;
        },
        onLeave(retval) {
            const state = (this as unknown as { state?: CallState }).state;
            if (state === undefined) {
                return;
            }
            let count: number;
            if (state.countOut !== null) {
                count = retval.toInt32() === 1 && !state.countOut.isNull() ? Number(state.countOut.readU64().toString()) : 0;
            } else {
                count = retval.toInt32();
            }
            if (count <= 0 || !admit()) {
                return;
            }
            try {
                report(lib, api, kind, hooks, state, count);
            } catch (e) {
                emit("agent_error", { api, data: { error: String(e), where: "tls" } });
            }
        },
    };
}

function report(lib: string, api: string, kind: string, hooks: LibraryHooks, state: CallState, count: number): void {
    const chunk = nativeBytes(state.buf, count, MAX_BYTES);
    const { fd, peer } = peerOf(hooks, state.ssl);
    emit(kind, {
        api,
        value: utf8(chunk.bytes),
        data: {
            hook: kind === "tls_write" ? "tls.write" : "tls.read",
            lib,
            ssl_ptr: state.ssl.toString(),
            fd,
            peer,
            bytes_b64: base64(chunk.bytes),
            len: count,
            truncated: truncated(chunk),
        },
    }, state.at);
    sent++;
}

/** The SSL's socket and its peer, looked up once per SSL* (getpeername on the fd). */
function peerOf(hooks: LibraryHooks, ssl: NativePointer): Peer {
    const key = ssl.toString();
    const known = hooks.peers.get(key);
    if (known !== undefined) {
        return known;
    }
    const fd = hooks.getFd !== null ? hooks.getFd(ssl) : -1;
    const found: Peer = { fd: fd >= 0 ? fd : null, peer: fd >= 0 ? peerAddress(fd) : null };
    if (hooks.peers.size > 1024) {
        hooks.peers.clear();
    }
    hooks.peers.set(key, found);
    return found;
}

function peerAddress(fd: number): string | null {
    if (getpeername === null) {
        return null;
    }
    const addr = Memory.alloc(128);
    const len = Memory.alloc(4);
    len.writeU32(128);
    if (getpeername(fd, addr, len) !== 0) {
        return null;
    }
    const family = addr.readU16();
    const port = (addr.add(2).readU8() << 8) | addr.add(3).readU8();
    if (family === AF_INET) {
        const ip = [0, 1, 2, 3].map(i => addr.add(4 + i).readU8()).join(".");
        return `${ip}:${port}`;
    }
    if (family === AF_INET6) {
        const words: string[] = [];
        for (let i = 0; i < 8; i++) {
            words.push(((addr.add(8 + 2 * i).readU8() << 8) | addr.add(9 + 2 * i).readU8()).toString(16));
        }
        return `[${words.join(":")}]:${port}`;
    }
    return null;
}

/** A TLS stream can be hot (a download): a burst, then a steady rate; the rest are counted. */
function admit(): boolean {
    const now = Date.now();
    tokens = Math.min(limit.burst, tokens + (now - lastRefill) * limit.perSecond / 1000);
    lastRefill = now;
    if (tokens >= 1) {
        tokens -= 1;
        return true;
    }
    suppressed++;
    return false;
}

export function setTlsRate(rate: { per_second: number; burst: number } | null): void {
    limit = rate === null ? { burst: Number.MAX_SAFE_INTEGER, perSecond: Number.MAX_SAFE_INTEGER } : { burst: rate.burst, perSecond: rate.per_second };
    tokens = limit.burst;
}
