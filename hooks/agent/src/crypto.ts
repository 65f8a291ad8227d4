// Inside the encryption: what an app hashes, MACs, encrypts or Base64-encodes, and what
// comes out. An SDK that AES-encrypts its upload hides the identifiers from the proxy; the
// plaintext here shows them, and the output ties the event to the flow that carried it.
//
// Cipher, MessageDigest and Mac accumulate input over update() calls; the event is sent
// at doFinal()/digest() with everything since init (or the last final), bounded to
// MAX_BYTES per side with the true lengths kept. Every crypto row shares one guard, so the
// primitives' own internal calls (doFinal -> update, HMAC -> MessageDigest, Base64 ->
// encode) are not reported again. All byte reads happen before the original runs where
// the original may overwrite them (in-place encryption).
//
// On HotSpot the JDK's own TLS and random-number code use these classes too; those calls
// are platform work, not the app's, and are silenced by quiet zones (quietZones below).
import Java from "frida-java-bridge";

import { Chunk, EMPTY, MAX_BYTES, append, base64, bufferBytes, bufferPosition, bufferRange, fingerprint, javaBytes, truncated, utf8 } from "./bytes.js";
import { Call, Describer, Detail, HookSpec, seenBefore } from "./hook.js";
import { JavaObject, identity, text } from "./values.js";

const MAX_STATES = 1024;

type Op = "encrypt" | "decrypt" | "digest" | "mac" | "encode";

interface Pending {
    op: Op;
    algorithm: string | null;
    transformation: string | null;
    input: Chunk;
    output: Chunk;
}

/** Per-object accumulations (keyed by identity); bounded, dropped objects are forgotten. */
const pending = new Map<number, Pending>();

function stateOf(self: JavaObject, fresh: () => Pending): Pending | null {
    const key = identity(self);
    if (key === null) {
        return null;
    }
    let state = pending.get(key);
    if (state === undefined) {
        if (pending.size >= MAX_STATES) {
            pending.clear();
        }
        state = fresh();
        pending.set(key, state);
    }
    return state;
}

function forget(self: JavaObject): void {
    const key = identity(self);
    if (key !== null) {
        pending.delete(key);
    }
}

const CIPHER_MODES: Record<number, Op> = { 1: "encrypt", 2: "decrypt", 3: "encrypt", 4: "decrypt" };

function cipherState(self: JavaObject): Pending | null {
    return stateOf(self, () => {
        const transformation = text(self!.getAlgorithm());
        return { op: "encrypt", algorithm: transformation?.split("/")[0] ?? null, transformation, input: EMPTY, output: EMPTY };
    });
}

function namedState(self: JavaObject, op: Op): Pending | null {
    return stateOf(self, () => ({ op, algorithm: text(self!.getAlgorithm()), transformation: null, input: EMPTY, output: EMPTY }));
}

/** The event for a finished operation (null if this very payload was reported before). */
function finished(call: Call, state: Pending): Detail | null {
    const key = `${state.op}|${state.transformation ?? state.algorithm}|${state.input.length}|${fingerprint(state.input.bytes)}|`
        + `${state.output.length}|${fingerprint(state.output.bytes)}`;
    if (seenBefore(call, key)) {
        return null;
    }
    const plain = state.op === "decrypt" ? state.output : state.input;
    return {
        value: utf8(plain.bytes),
        data: {
            op: state.op,
            algorithm: state.algorithm,
            transformation: state.transformation,
            input_b64: base64(state.input.bytes),
            output_b64: base64(state.output.bytes),
            input_len: state.input.length,
            output_len: state.output.length,
            truncated: truncated(state.input) || truncated(state.output),
        },
    };
}

const isBuffer = (type: string | undefined): boolean => type === "java.nio.ByteBuffer";

/**
 * The input of an update/final call, by overload shape:
 * (byte[] in[, int off, int len][, byte[] out[, int outOff]]), (ByteBuffer in, ByteBuffer out),
 * (byte b). Returns the input and, for outputs written into an argument, where they go.
 */
interface Parsed {
    input: Chunk;
    /** Reads the output once the original has returned. */
    output: (ret: unknown) => Chunk;
}

function parseIo(call: Call, outputInArgs: boolean): Parsed {
    const t = call.argTypes;
    const a = call.args;
    if (t.length === 0) {
        return { input: EMPTY, output: ret => javaBytes(ret) };
    }
    if (t[0] === "byte") {
        const single = new Uint8Array([Number(a[0]) & 0xFF]);
        return { input: { bytes: single, length: 1 }, output: () => EMPTY };
    }
    if (isBuffer(t[0])) {
        const input = bufferBytes(a[0] as Java.Wrapper);
        const out = isBuffer(t[1]) ? a[1] as Java.Wrapper : null;
        const start = out !== null ? bufferPosition(out).position : 0;
        return {
            input,
            output: ret => {
                if (out !== null) {
                    return bufferRange(out, start, start + Number(ret));
                }
                // Base64.Encoder.encode(ByteBuffer) returns a new buffer.
                return bufferBytes(ret as Java.Wrapper);
            },
        };
    }
    // byte[] first. (byte[], int outOffset) is doFinal(output, outputOffset): no input.
    if (t.length === 2 && t[1] === "int" && outputInArgs) {
        const offset = Number(a[1]);
        return { input: EMPTY, output: ret => javaBytes(a[0], offset, typeof ret === "number" ? ret : undefined) };
    }
    const ranged = t.length >= 3 && t[1] === "int" && t[2] === "int";
    const input = ranged ? javaBytes(a[0], Number(a[1]), Number(a[2])) : javaBytes(a[0]);
    const outIndex = ranged ? 3 : 1;
    if (t[outIndex] === "byte[]") {
        const outOffset = t[outIndex + 1] === "int" ? Number(a[outIndex + 1]) : 0;
        return { input, output: ret => javaBytes(a[outIndex], outOffset, Number(ret)) };
    }
    return { input, output: ret => (typeof ret === "string" ? ascii(ret) : javaBytes(ret)) };
}

function ascii(s: string): Chunk {
    const n = Math.min(s.length, MAX_BYTES);
    const bytes = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
        bytes[i] = s.charCodeAt(i) & 0xFF;
    }
    return { bytes, length: s.length };
}

/** Cipher.init(mode, key, ...): starts an operation; nothing is reported yet. */
const cipherInit: Describer = {
    after(call) {
        if (call.error !== undefined) {
            return null;
        }
        forget(call.self);
        const state = cipherState(call.self);
        if (state !== null) {
            state.op = CIPHER_MODES[Number(call.args[0])] ?? "encrypt";
        }
        return null;
    },
};

/** update()s add to the pending operation of their object. */
function accumulating(stateFor: (self: JavaObject) => Pending | null): Describer {
    return {
        before(call) {
            return parseIo(call, false);
        },
        after(call) {
            const io = call.snapshot as Parsed | null;
            if (io === null || call.error !== undefined) {
                return null;
            }
            const state = stateFor(call.self);
            if (state !== null) {
                state.input = append(state.input, io.input);
                state.output = append(state.output, io.output(call.ret));
            }
            return null;
        },
    };
}

/** doFinal()/digest(): the operation ends; report it and start over. */
function finishing(stateFor: (self: JavaObject) => Pending | null, outputLength?: (call: Call) => number): Describer {
    return {
        before(call) {
            return parseIo(call, true);
        },
        after(call) {
            const io = call.snapshot as Parsed | null;
            if (io === null || call.error !== undefined) {
                return null;
            }
            const state = stateFor(call.self);
            if (state === null) {
                return null;
            }
            const ret = call.ret === undefined && outputLength !== undefined ? outputLength(call) : call.ret;
            const detail = finished(call, { ...state, input: append(state.input, io.input), output: append(state.output, io.output(ret)) });
            state.input = EMPTY;
            state.output = EMPTY;
            return detail;
        },
    };
}

const cipherUpdate = accumulating(cipherState);
const cipherFinal = finishing(cipherState);

const digestState = (self: JavaObject): Pending | null => namedState(self, "digest");
const digestUpdate = accumulating(digestState);
/** digest(byte[] buf, int offset, int len) writes the digest into buf and returns its length. */
const digestFinal: Describer = (() => {
    const inner = finishing(digestState);
    return {
        before(call) {
            if (call.argTypes.length === 3) {
                return { input: EMPTY, output: (ret: unknown) => javaBytes(call.args[0], Number(call.args[1]), Number(ret)) };
            }
            return inner.before!(call);
        },
        after: inner.after,
    };
})();

const macState = (self: JavaObject): Pending | null => namedState(self, "mac");
/** Mac.init(key[, params]): a new operation. */
const macInit: Describer = {
    after(call) {
        forget(call.self);
        return null;
    },
};
const macUpdate = accumulating(macState);
/** Mac.doFinal(byte[] out, int offset) is void: the MAC's length comes from getMacLength(). */
const macFinal = finishing(macState, call => Number(call.self!.getMacLength()));

/** android.util.Base64.encode/encodeToString and java.util.Base64$Encoder.encode/encodeToString. */
const encode: Describer = {
    before(call) {
        // android.util.Base64: (byte[] input, int flags) or (byte[] input, int offset, int len, int flags).
        if (call.argTypes.length === 2 && call.argTypes[1] === "int") {
            return { input: javaBytes(call.args[0]), output: (ret: unknown) => (typeof ret === "string" ? ascii(ret) : javaBytes(ret)) };
        }
        if (call.argTypes.length === 4) {
            return {
                input: javaBytes(call.args[0], Number(call.args[1]), Number(call.args[2])),
                output: (ret: unknown) => (typeof ret === "string" ? ascii(ret) : javaBytes(ret)),
            };
        }
        return parseIo(call, false);
    },
    after(call) {
        const io = call.snapshot as Parsed | null;
        if (io === null || call.error !== undefined) {
            return null;
        }
        const owner = call.spec.class.startsWith("android.") ? "android.util.Base64" : "java.util.Base64";
        return finished(call, {
            op: "encode",
            algorithm: "base64",
            transformation: owner,
            input: io.input,
            output: io.output(call.ret),
        });
    },
};

/**
 * Platform code whose use of these classes is not the app's: HotSpot's JSSE, SecureRandom,
 * and KeyStore.load (a password-protected PKCS#12 store runs PBKDF2: tens of thousands of
 * HMAC steps; silent here). On HotSpot the zone is entered in C (fastpath.ts) and the steps
 * inside it are counted and run there, never entering JS; on ART each still crosses the hooks.
 *
 * On ART (`art` true) the SecureRandom zones are left out: Android's SecureRandom is
 * Conscrypt's OpenSSLRandom (BoringSSL's RAND_bytes, native), which calls none of the hooked
 * primitives, so a zone there would only add a crossing to every nextBytes call
 * (UUID.randomUUID, every TLS handshake's Java side, ad SDKs' request ids) and silence
 * nothing. KeyStore.load stays: Android's PKCS#12 store (BouncyCastle) verifies its MAC with
 * javax.crypto.Mac, which the crypto rows hook; loads are rare, so its crossing costs little.
 * The JSSE classes do not exist on Android (Conscrypt is native): nothing is hooked there.
 */
export function quietZones(art = false): HookSpec[] {
    const zone = (id: string, klass: string, method: string): HookSpec => ({
        id: `crypto.quiet.${id}`, class: klass, method, kind: "quiet", describe: "", stack: false, quiet: true,
    });
    return [
        zone("jsse_handshake", "sun.security.ssl.SSLSocketImpl", "startHandshake"),
        zone("jsse_write", "sun.security.ssl.SSLSocketImpl$AppOutputStream", "write"),
        zone("jsse_read", "sun.security.ssl.SSLSocketImpl$AppInputStream", "read"),
        zone("jsse_close", "sun.security.ssl.SSLSocketImpl", "close"),
        zone("jsse_engine_wrap", "sun.security.ssl.SSLEngineImpl", "wrap"),
        zone("jsse_engine_unwrap", "sun.security.ssl.SSLEngineImpl", "unwrap"),
        ...(art ? [] : [
            zone("secure_random", "java.security.SecureRandom", "nextBytes"),
            zone("secure_random_seed", "java.security.SecureRandom", "generateSeed"),
        ]),
        zone("keystore_load", "java.security.KeyStore", "load"),
    ];
}

export const describers: Record<string, Describer> = {
    cipherInit, cipherUpdate, cipherFinal, digestUpdate, digestFinal, macInit, macUpdate, macFinal, encode,
};
