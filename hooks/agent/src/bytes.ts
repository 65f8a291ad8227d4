// Bytes as events carry them: bounded copies of Java byte[] / ByteBuffer contents and of
// native buffers, Base64 for the raw bytes and UTF-8 text (invalid sequences replaced) for
// the readable value. The GumJS runtime has neither btoa nor TextDecoder, hence the codecs.
import Java from "frida-java-bridge";

/** Bytes kept per event side (input, output, TLS record); longer payloads are flagged truncated. */
export const MAX_BYTES = 4096;

/** A bounded copy: the first `bytes` of a payload that was `length` long. */
export interface Chunk {
    bytes: Uint8Array;
    length: number;
}

export const EMPTY: Chunk = { bytes: new Uint8Array(0), length: 0 };

interface JavaArrayLike {
    $h?: NativePointer;
    length: number;
}

/** `length` bytes of a Java byte[] from `offset`, at most `max` of them copied. */
export function javaBytes(array: unknown, offset = 0, length?: number, max = MAX_BYTES): Chunk {
    const arr = array as JavaArrayLike | null | undefined;
    if (arr === null || arr === undefined || arr.$h === undefined) {
        return EMPTY;
    }
    const total = Math.max(0, Math.min(length ?? arr.length - offset, arr.length - offset));
    const n = Math.min(total, max);
    if (n <= 0) {
        return { bytes: new Uint8Array(0), length: total };
    }
    const env = Java.vm.getEnv();
    const buffer = Memory.alloc(n);
    env.getByteArrayRegion(arr.$h, offset, n, buffer);
    return { bytes: new Uint8Array(buffer.readByteArray(n)!), length: total };
}

let BufferClass: Java.Wrapper | null = null;

/** position() and limit() live on java.nio.Buffer; a ByteBuffer wrapper only sees its own overloads. */
export function bufferPosition(buffer: Java.Wrapper): { position: number; limit: number } {
    BufferClass ??= Java.use("java.nio.Buffer");
    const plain = Java.cast(buffer, BufferClass);
    return { position: Number(plain.position()), limit: Number(plain.limit()) };
}

/** The bytes between a ByteBuffer's position and limit, without moving either. */
export function bufferBytes(buffer: Java.Wrapper | null | undefined, max = MAX_BYTES): Chunk {
    if (buffer === null || buffer === undefined) {
        return EMPTY;
    }
    const { position, limit } = bufferPosition(buffer);
    return bufferRange(buffer, position, limit, max);
}

/** Bytes [from, to) of a ByteBuffer, by absolute index, without moving it. */
export function bufferRange(buffer: Java.Wrapper, from: number, to: number, max = MAX_BYTES): Chunk {
    const total = Math.max(0, to - from);
    const n = Math.min(total, max);
    if (n === 0) {
        return { bytes: new Uint8Array(0), length: total };
    }
    if (buffer.hasArray()) {
        return { bytes: javaBytes(buffer.array(), Number(buffer.arrayOffset()) + from, n, n).bytes, length: total };
    }
    const env = Java.vm.getEnv();
    const base = env.getDirectBufferAddress(buffer.$h) as NativePointer;
    if (base.isNull()) {
        return { bytes: new Uint8Array(0), length: total };
    }
    return { bytes: new Uint8Array(base.add(from).readByteArray(n)!), length: total };
}

/** A native buffer, bounded. */
export function nativeBytes(address: NativePointer, length: number, max = MAX_BYTES): Chunk {
    const n = Math.min(Math.max(0, length), max);
    if (n === 0 || address.isNull()) {
        return { bytes: new Uint8Array(0), length: Math.max(0, length) };
    }
    return { bytes: new Uint8Array(address.readByteArray(n)!), length };
}

/** Appends `more` to `into`, keeping the first MAX_BYTES and the true total length. */
export function append(into: Chunk, more: Chunk, max = MAX_BYTES): Chunk {
    const room = Math.max(0, max - into.bytes.length);
    const take = Math.min(room, more.bytes.length);
    if (take === 0) {
        return { bytes: into.bytes, length: into.length + more.length };
    }
    const bytes = new Uint8Array(into.bytes.length + take);
    bytes.set(into.bytes, 0);
    bytes.set(more.bytes.subarray(0, take), into.bytes.length);
    return { bytes, length: into.length + more.length };
}

export function truncated(chunk: Chunk): boolean {
    return chunk.length > chunk.bytes.length;
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

export function base64(bytes: Uint8Array): string {
    const out: string[] = [];
    let i = 0;
    for (; i + 2 < bytes.length; i += 3) {
        const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
        out.push(ALPHABET[n >> 18], ALPHABET[(n >> 12) & 63], ALPHABET[(n >> 6) & 63], ALPHABET[n & 63]);
    }
    const rest = bytes.length - i;
    if (rest === 1) {
        const n = bytes[i] << 16;
        out.push(ALPHABET[n >> 18], ALPHABET[(n >> 12) & 63], "==");
    } else if (rest === 2) {
        const n = (bytes[i] << 16) | (bytes[i + 1] << 8);
        out.push(ALPHABET[n >> 18], ALPHABET[(n >> 12) & 63], ALPHABET[(n >> 6) & 63], "=");
    }
    return out.join("");
}

const SLICE = 2048;

/** UTF-8 to text; every invalid or truncated sequence becomes U+FFFD. */
export function utf8(bytes: Uint8Array): string {
    if (bytes.every(b => b < 0x80)) {
        // Plain ASCII, the common case (JSON, query strings): no decoding needed.
        const parts: string[] = [];
        for (let i = 0; i < bytes.length; i += SLICE) {
            parts.push(String.fromCharCode(...bytes.subarray(i, i + SLICE)));
        }
        return parts.join("");
    }
    const points: number[] = [];
    let i = 0;
    while (i < bytes.length) {
        const b = bytes[i];
        let cp = 0xFFFD;
        let used = 1;
        if (b < 0x80) {
            cp = b;
        } else if (b >= 0xC2 && b <= 0xF4) {
            const need = b < 0xE0 ? 1 : b < 0xF0 ? 2 : 3;
            if (continuation(bytes, i + 1, need)) {
                cp = need === 1 ? ((b & 0x1F) << 6) | (bytes[i + 1] & 0x3F)
                    : need === 2 ? ((b & 0x0F) << 12) | ((bytes[i + 1] & 0x3F) << 6) | (bytes[i + 2] & 0x3F)
                        : ((b & 0x07) << 18) | ((bytes[i + 1] & 0x3F) << 12) | ((bytes[i + 2] & 0x3F) << 6) | (bytes[i + 3] & 0x3F);
                const overlong = (need === 2 && cp < 0x800) || (need === 3 && (cp < 0x10000 || cp > 0x10FFFF));
                const surrogate = cp >= 0xD800 && cp <= 0xDFFF;
                if (overlong || surrogate) {
                    cp = 0xFFFD;
                } else {
                    used = need + 1;
                }
            }
        }
        points.push(cp);
        i += used;
    }
    const parts: string[] = [];
    for (let k = 0; k < points.length; k += SLICE) {
        parts.push(String.fromCodePoint(...points.slice(k, k + SLICE)));
    }
    return parts.join("");
}

function continuation(bytes: Uint8Array, from: number, count: number): boolean {
    if (from + count > bytes.length) {
        return false;
    }
    for (let k = 0; k < count; k++) {
        if ((bytes[from + k] & 0xC0) !== 0x80) {
            return false;
        }
    }
    return true;
}

/** FNV-1a over the bytes: a cheap key for recognising a payload seen before. */
export function fingerprint(bytes: Uint8Array): string {
    let h = 0x811C9DC5;
    for (let i = 0; i < bytes.length; i++) {
        h ^= bytes[i];
        h = Math.imul(h, 0x01000193) >>> 0;
    }
    return h.toString(16);
}
