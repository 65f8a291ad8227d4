// Java stacks of hooked calls, innermost frame first, as "class.method(File.java:line)",
// each frame with its origin (where its class came from).
//
// ART: Java.backtrace() walks the stack natively (no Java allocation) and gives an id to
// dedupe on. It is not enough on its own: the bridge walks with STACK_WALK_SKIP_INLINED_FRAMES
// (frida-java-bridge lib/android.js, `art_stack_visitor_init (..., STACK_WALK_SKIP_INLINED_FRAMES,
// ...)` in _on_thread_state_transition_complete), so a method the JIT inlined into its caller is
// missing, and its `limit` only sizes the frame array (`g_array_sized_new (..., limit)` in
// _create; visit_frame appends every frame), so it does not bound the walk. So the id decides
// whether a stack is new; only then are its frames taken from a new Throwable (its stack trace
// keeps inlined frames), printed once (five JNI calls) and cut to maxFrames + HOOK_FRAMES.
// Both native walks cover the whole stack (ART exposes no bounded walk to the bridge); what
// is bounded is the work on this side: crossings and frames parsed.
// The origin of a frame is the `origin` the bridge reports for its class (the dex file or APK
// it was loaded from: `get_class_location` in _get_frames), so an SDK loaded from its own dex
// shows. Verified only on a device (docs/hooks.md).
//
// HotSpot has no such walker in the bridge, so there one Throwable is printed into a
// StringWriter: five JNI calls and one string crossing into JS, whatever the depth
// (getStackTrace() would cost one wrapper and one JNI call per frame). The calls go through
// raw JNI (NewObject, CallVoidMethod, CallObjectMethod inside one local frame), not through
// the bridge's wrappers: a wrapper costs a class lookup, a global reference and its disposal
// each, which made a stack several times dearer than the crossing itself. The printed text
// is the key: a stack seen before is not parsed again. JDK 9+ prints the class loader and
// module before each frame ("app//", "java.base@17/", "<loader name>//"): that prefix is the
// frame's origin there. Before printing, JVMTI's GetStackTrace (a native walk filling
// (jmethodID, bytecode index) pairs into a buffer, no Java object) gives the call site's key:
// a stack seen before costs that walk only, and only a new one is printed and parsed.
//
// Each distinct stack is sent once with a small id; later events carry only the id and the
// host fills the frames back in.
import Java from "frida-java-bridge";

import { isArt } from "./runtime.js";

export interface StackRef {
    id: number;
    /** Present the first time this stack is seen. */
    frames: string[] | null;
    /** Where each frame's class came from (dex path, class loader); "" when unknown. With frames. */
    origins: string[] | null;
}

export interface StackOptions {
    enabled: boolean;
    maxFrames: number;
}

interface Frames {
    frames: string[];
    origins: string[];
}

interface Captured {
    key: string;
    /** Computed only for a stack not seen before. */
    read: () => Frames;
}

const MAX_KNOWN_STACKS = 8192;
/** Frames of the bridge and of the hooked method itself that sit above the caller. */
const HOOK_FRAMES = 8;
const knownStacks = new Map<string, number>();
let nextStackId = 1;
let captured = 0;
let failures = 0;

export const stackOptions: StackOptions = { enabled: true, maxFrames: 32 };

export function stackStats(): Record<string, number> {
    return { captured, distinct: knownStacks.size, failures };
}

/**
 * Stack of the current thread as seen from inside a hook on `hooked` ("pkg.Class.method"):
 * the frames of the hooked method itself (and anything above it) are dropped, so the
 * first frame is its caller.
 */
export function captureStack(hooked: string): StackRef | null {
    if (!stackOptions.enabled) {
        return null;
    }
    try {
        const { key, read } = isArt() ? artStack() : printedStack();
        captured++;
        const known = knownStacks.get(key);
        if (known !== undefined) {
            return { id: known, frames: null, origins: null };
        }
        const { frames, origins } = read();
        const keep = collapseReplacedFrames(dropHookedFrames(frames, hooked), frames)
            .slice(0, stackOptions.maxFrames);
        const id = nextStackId++;
        if (knownStacks.size < MAX_KNOWN_STACKS) {
            knownStacks.set(key, id);
        }
        return { id, frames: keep.map(i => frames[i]), origins: keep.map(i => origins[i] ?? "") };
    } catch (e) {
        failures++;
        return null;
    }
}

function artStack(): Captured {
    const bt = Java.backtrace({ limit: stackOptions.maxFrames + HOOK_FRAMES });
    return {
        key: bt.id,
        read: () => {
            const originOf = new Map<string, string>();
            for (const f of bt.frames) {
                if (!originOf.has(f.className)) {
                    originOf.set(f.className, f.origin);
                }
            }
            const frames = thrownFrames(stackOptions.maxFrames + HOOK_FRAMES);
            return { frames, origins: frames.map(f => originOf.get(frameClass(f)) ?? "") };
        },
    };
}

/**
 * Frames of a new Throwable (ART fills them in with Throwable.nativeFillInStackTrace, inlined
 * frames included), printed into a StringWriter rather than read with getStackTrace(): the
 * bridge turns an object array into JS eagerly, one JNI call and one wrapper per element
 * (frida-java-bridge lib/types.js, the object array type's fromJni: `getObjectArrayElement`
 * for every i < n), so a deep stack would cost that many crossings. Printing costs five JNI
 * calls whatever the depth; at most `limit` frames are kept.
 */
function thrownFrames(limit: number): string[] {
    if (Throwable === null) {
        Throwable = Java.use("java.lang.Throwable");
    }
    const throwable = Throwable.$new();
    const frames = printedFrames(throwable).slice(0, limit).map(p => p.frame);
    throwable.$dispose();
    return frames;
}

function frameClass(frame: string): string {
    const paren = frame.indexOf("(");
    const head = paren === -1 ? frame : frame.substring(0, paren);
    return head.substring(0, head.lastIndexOf("."));
}

let StringWriter: Java.Wrapper | null = null;
let PrintWriter: Java.Wrapper | null = null;
let Throwable: Java.Wrapper | null = null;

interface RawJni {
    throwable: NativePointer;
    stringWriter: NativePointer;
    printWriter: NativePointer;
    newThrowable: NativePointer;
    newStringWriter: NativePointer;
    newPrintWriter: NativePointer;
    printStackTrace: NativePointer;
    toString: NativePointer;
}

let rawJni: RawJni | null = null;

/** Class and method ids for the printed stack, looked up once (classes as global references). */
function jniIds(env: Java.Env): RawJni {
    if (rawJni === null) {
        const cls = (name: string): NativePointer => {
            const local = env.findClass(name);
            env.throwIfExceptionPending();
            const global = env.newGlobalRef(local);
            env.deleteLocalRef(local);
            return global;
        };
        const throwable = cls("java/lang/Throwable");
        const stringWriter = cls("java/io/StringWriter");
        const printWriter = cls("java/io/PrintWriter");
        rawJni = {
            throwable, stringWriter, printWriter,
            newThrowable: env.getMethodId(throwable, "<init>", "()V"),
            newStringWriter: env.getMethodId(stringWriter, "<init>", "()V"),
            newPrintWriter: env.getMethodId(printWriter, "<init>", "(Ljava/io/Writer;)V"),
            printStackTrace: env.getMethodId(throwable, "printStackTrace", "(Ljava/io/PrintWriter;)V"),
            toString: env.getMethodId(stringWriter, "toString", "()Ljava/lang/String;"),
        };
    }
    return rawJni;
}

/** A new Throwable's printed stack trace, through raw JNI calls in one local frame. */
function printedText(): string {
    const env = Java.vm.getEnv();
    const ids = jniIds(env);
    const construct0 = env.constructor([]);
    const construct1 = env.constructor(["pointer"]);
    const callVoid1 = env.vaMethod("void", ["pointer"]);
    const callObject0 = env.vaMethod("pointer", []);
    const handle = env.handle;
    env.pushLocalFrame(8);
    try {
        const throwable = construct0(handle, ids.throwable, ids.newThrowable);
        const sw = construct0(handle, ids.stringWriter, ids.newStringWriter);
        const pw = construct1(handle, ids.printWriter, ids.newPrintWriter, sw);
        callVoid1(handle, throwable, ids.printStackTrace, pw);
        env.throwIfExceptionPending();
        const text = callObject0(handle, sw, ids.toString);
        env.throwIfExceptionPending();
        return env.stringFromJni(text) ?? "";
    } finally {
        env.popLocalFrame(NULL);
    }
}

const JVMTI_VERSION_1_0 = 0x30010000;
/** jvmtiInterface_1_ slot 104 (1-based, as jvmti.h numbers them): GetStackTrace. */
const JVMTI_GET_STACK_TRACE = 104;
/** jvmtiFrameInfo: { jmethodID method; jlocation location; }. */
const FRAME_INFO_SIZE = 16;

interface Jvmti {
    env: NativePointer;
    getStackTrace: NativeFunction<number, [NativePointer, NativePointer, number, number, NativePointer, NativePointer]>;
}

/** Our own JVMTI environment (null when the VM gives none: then every stack is printed). */
let jvmti: Jvmti | null | undefined;
const frameBuffers = new Map<number, { frames: NativePointer; count: NativePointer }>();

function jvmtiEnv(): Jvmti | null {
    if (jvmti === undefined) {
        jvmti = null;
        try {
            const env = (Java.vm as unknown as { tryGetEnvHandle(version: number): NativePointer | null })
                .tryGetEnvHandle(JVMTI_VERSION_1_0);
            if (env !== null && !env.isNull()) {
                const fn = env.readPointer().add((JVMTI_GET_STACK_TRACE - 1) * Process.pointerSize).readPointer();
                jvmti = { env, getStackTrace: new NativeFunction(fn, "int", ["pointer", "pointer", "int", "int", "pointer", "pointer"]) };
            }
        } catch (e) {
            jvmti = null;
        }
    }
    return jvmti;
}

/**
 * The call site as JVMTI sees it: (jmethodID, bytecode index) of up to `limit` frames, read
 * natively (no Java object made), as a string key. Null when JVMTI is not available.
 */
function frameKey(limit: number): string | null {
    const api = jvmtiEnv();
    if (api === null) {
        return null;
    }
    const tid = Process.getCurrentThreadId();
    let buffers = frameBuffers.get(tid);
    if (buffers === undefined) {
        buffers = { frames: Memory.alloc(limit * FRAME_INFO_SIZE), count: Memory.alloc(4) };
        frameBuffers.set(tid, buffers);
    }
    const error = api.getStackTrace(api.env, NULL, 0, limit, buffers.frames, buffers.count);
    if (error !== 0) {
        return null;
    }
    const n = buffers.count.readS32();
    const words = new Uint32Array(buffers.frames.readByteArray(n * FRAME_INFO_SIZE)!);
    // Two independent 32-bit FNV-1a style hashes over (method, location) words: a 64-bit key
    // without building a string of every frame. The high word of a location (a bytecode
    // index) is always 0, so it is skipped.
    let h1 = 0x811c9dc5;
    let h2 = 0x01000193;
    for (let i = 0; i < words.length; i += 4) {
        const m = words[i] ^ words[i + 1];
        const bci = words[i + 2];
        h1 = Math.imul(h1 ^ m, 16777619);
        h1 = Math.imul(h1 ^ bci, 16777619);
        h2 = Math.imul(h2 ^ bci, 2246822519);
        h2 = Math.imul(h2 ^ words[i], 3266489917);
    }
    return `${n}:${h1 >>> 0}:${h2 >>> 0}`;
}

function printedStack(): Captured {
    // Frames beyond what is kept cannot change the stack sent; a few more stand for the
    // bridge's and the hooked method's own frames above the caller.
    const key = frameKey(stackOptions.maxFrames + HOOK_FRAMES * 2);
    const text = key === null ? printedText() : null;
    return {
        key: key ?? text!,
        read: () => {
            const printed = parsePrinted(text ?? printedText());
            return { frames: printed.map(p => p.frame), origins: printed.map(p => p.origin) };
        },
    };
}

/** Frames of a Java Throwable (its own stack, not the caller's), innermost first. */
export function framesOf(throwable: Java.Wrapper): string[] {
    return printedFrames(throwable).map(p => p.frame);
}

function printedFrames(throwable: Java.Wrapper): { frame: string; origin: string }[] {
    if (StringWriter === null || PrintWriter === null) {
        StringWriter = Java.use("java.io.StringWriter");
        PrintWriter = Java.use("java.io.PrintWriter");
    }
    const sw = StringWriter.$new();
    const pw = PrintWriter.$new(sw);
    throwable.printStackTrace(pw);
    const printed = String(sw.toString());
    pw.$dispose();
    sw.$dispose();
    return parsePrinted(printed);
}

function parsePrinted(printed: string): { frame: string; origin: string }[] {
    const frames: { frame: string; origin: string }[] = [];
    for (const line of printed.split("\n")) {
        const trimmed = line.trim();
        if (trimmed.startsWith("Caused by:")) {
            break;
        }
        if (trimmed.startsWith("at ")) {
            frames.push(plainFrame(trimmed.substring(3)));
        }
    }
    return frames;
}

/**
 * JDK 9+ prefixes frames with the class loader and module ("app//", "java.base@17/");
 * strip them so frames read the same on HotSpot and ART, and keep them as the origin
 * ("app", "java.base@17", a named loader's name).
 */
function plainFrame(frame: string): { frame: string; origin: string } {
    const paren = frame.indexOf("(");
    const head = paren === -1 ? frame : frame.substring(0, paren);
    const slash = head.lastIndexOf("/");
    if (slash === -1) {
        return { frame, origin: "" };
    }
    return { frame: frame.substring(slash + 1), origin: head.substring(0, slash).replace(/\/+$/, "") };
}

/**
 * On HotSpot a hooked method that is on the stack shows twice, as the native replacement
 * and the original it called; keep one. Takes and gives indexes into `frames`.
 */
function collapseReplacedFrames(indexes: number[], frames: string[]): number[] {
    return indexes.filter((idx, i) => i === 0 || frames[idx] !== frames[indexes[i - 1]] || !frames[idx].endsWith("(Native Method)"));
}

/**
 * Indexes of the frames below the hooked method (its callers). A constructor is hooked as
 * "$init" (the bridge's name) and printed as "<init>" (ART's and the JVM's name): both match.
 */
function dropHookedFrames(frames: string[], hooked: string): number[] {
    const names = [hooked + "("];
    if (hooked.endsWith(".$init")) {
        names.push(hooked.substring(0, hooked.length - "$init".length) + "<init>(");
    }
    // The hooked method sits near the top (after the bridge's own frames, if any).
    const limit = Math.min(frames.length, HOOK_FRAMES);
    let from = 0;
    for (let i = 0; i < limit; i++) {
        if (names.some(n => frames[i].startsWith(n))) {
            from = i + 1;
            break;
        }
    }
    return frames.map((_, i) => i).slice(from);
}
