// Java stacks of hooked calls, innermost frame first, as "class.method(File.java:line)".
//
// ART: Java.backtrace() walks the stack natively (no Java allocation) and gives an id to
// dedupe on. HotSpot has no such walker in the bridge, so there one Throwable is printed
// into a StringWriter: five JNI calls and one string crossing into JS, whatever the depth
// (getStackTrace() would cost one wrapper and one JNI call per frame).
//
// Each distinct stack is sent once with a small id; later events carry only the id and the
// host fills the frames back in.
import Java from "frida-java-bridge";

import { isArt } from "./runtime.js";

export interface StackRef {
    id: number;
    /** Present the first time this stack is seen. */
    frames: string[] | null;
}

export interface StackOptions {
    enabled: boolean;
    maxFrames: number;
}

const MAX_KNOWN_STACKS = 8192;
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
        const { key, frames } = isArt() ? artStack() : printedStack();
        captured++;
        const known = knownStacks.get(key);
        if (known !== undefined) {
            return { id: known, frames: null };
        }
        const trimmed = collapseReplacedFrames(dropHookedFrames(frames, hooked))
            .slice(0, stackOptions.maxFrames);
        const id = nextStackId++;
        if (knownStacks.size < MAX_KNOWN_STACKS) {
            knownStacks.set(key, id);
        }
        return { id, frames: trimmed };
    } catch (e) {
        failures++;
        return null;
    }
}

function artStack(): { key: string; frames: string[] } {
    const bt = Java.backtrace({ limit: stackOptions.maxFrames + 4 });
    const frames = bt.frames.map(f => `${f.className}.${f.methodName}(${f.fileName}:${f.lineNumber})`);
    return { key: bt.id, frames };
}

let StringWriter: Java.Wrapper | null = null;
let PrintWriter: Java.Wrapper | null = null;
let Throwable: Java.Wrapper | null = null;

function printedStack(): { key: string; frames: string[] } {
    if (Throwable === null) {
        Throwable = Java.use("java.lang.Throwable");
    }
    const throwable = Throwable.$new();
    const frames = framesOf(throwable);
    throwable.$dispose();
    return { key: frames.join("\n"), frames };
}

/** Frames of a Java Throwable (its own stack, not the caller's), innermost first. */
export function framesOf(throwable: Java.Wrapper): string[] {
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
    const frames: string[] = [];
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
 * strip them so frames read the same on HotSpot and ART.
 */
function plainFrame(frame: string): string {
    const paren = frame.indexOf("(");
    const head = paren === -1 ? frame : frame.substring(0, paren);
    const slash = head.lastIndexOf("/");
    return slash === -1 ? frame : frame.substring(slash + 1);
}

/**
 * On HotSpot a hooked method that is on the stack shows twice, as the native replacement
 * and the original it called; keep one.
 */
function collapseReplacedFrames(frames: string[]): string[] {
    return frames.filter((frame, i) => i === 0 || frame !== frames[i - 1] || !frame.endsWith("(Native Method)"));
}

function dropHookedFrames(frames: string[], hooked: string): string[] {
    // The hooked method sits near the top (after the bridge's own frames, if any).
    const limit = Math.min(frames.length, 8);
    for (let i = 0; i < limit; i++) {
        if (frames[i].startsWith(hooked + "(")) {
            return frames.slice(i + 1);
        }
    }
    return frames;
}
