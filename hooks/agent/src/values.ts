// Turning Java values into plain JS values for events. A Java wrapper must never reach
// send(): it would be serialised as an opaque object and keep a global reference alive.
import Java from "frida-java-bridge";

export type JavaObject = Java.Wrapper | null | undefined;

/** A Java String, CharSequence, boxed value or primitive as a JS string; null stays null. */
export function text(value: unknown): string | null {
    if (value === null || value === undefined) {
        return null;
    }
    if (typeof value === "string") {
        return value;
    }
    if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") {
        return String(value);
    }
    const obj = value as { toString(): unknown };
    return String(obj.toString());
}

/** Elements of a Java array (as the bridge hands it over) or a JS array. */
export function arrayItems(value: unknown): unknown[] {
    if (value === null || value === undefined) {
        return [];
    }
    const arr = value as { length: number; [i: number]: unknown };
    const out: unknown[] = [];
    for (let i = 0; i < arr.length; i++) {
        out.push(arr[i]);
    }
    return out;
}

export function textArray(value: unknown): string[] {
    return arrayItems(value).map(v => text(v) ?? "");
}

export function numberArray(value: unknown): number[] {
    return arrayItems(value).map(v => Number(v));
}

let ObjectClass: Java.Wrapper | null = null;

/**
 * Runtime class name of a Java object (the wrapper only knows the declared type, and a
 * wrapper typed as an interface has no getClass()).
 */
export function runtimeClassName(obj: unknown): string | null {
    const o = obj as JavaObject;
    if (o === null || o === undefined || typeof o !== "object" || (o as { $h?: unknown }).$h === undefined) {
        return null;
    }
    ObjectClass ??= Java.use("java.lang.Object");
    return String(Java.cast(o, ObjectClass).getClass().getName());
}

/**
 * Reads a chain of public fields or getters by reflection, e.g. ["activityInfo",
 * "packageName"] on a ResolveInfo or ["getPackageName()"] on UsageStats. Reflection avoids
 * a Java.cast per runtime class; null when a link is missing.
 */
export function fieldPath(obj: JavaObject, path: string[]): string | null {
    let current: JavaObject = obj;
    for (const name of path) {
        if (current === null || current === undefined) {
            return null;
        }
        try {
            current = name.endsWith("()")
                ? current.getClass().getMethod(name.substring(0, name.length - 2), noClasses()).invoke(current, noObjects())
                : current.getClass().getField(name).get(current);
        } catch (e) {
            return null;
        }
    }
    return text(current);
}

let emptyClasses: Java.Wrapper | null = null;
let emptyObjects: Java.Wrapper | null = null;

function noClasses(): Java.Wrapper {
    emptyClasses ??= Java.array("java.lang.Class", []) as unknown as Java.Wrapper;
    return emptyClasses;
}

function noObjects(): Java.Wrapper {
    emptyObjects ??= Java.array("java.lang.Object", []) as unknown as Java.Wrapper;
    return emptyObjects;
}

let System: Java.Wrapper | null = null;

/** A key for "this very object" (System.identityHashCode); equal keys are almost always the same object. */
export function identity(obj: JavaObject): number | null {
    if (obj === null || obj === undefined) {
        return null;
    }
    System ??= Java.use("java.lang.System");
    return Number(System.identityHashCode(obj));
}

/** Text of any argument for an event: strings as they are, objects by toString, bounded. */
export function argText(value: unknown, max = 200): string | null {
    try {
        return truncate(text(value), max);
    } catch (e) {
        return null;
    }
}

/** A bounded set of recent keys: remembers what was already reported, forgets the oldest. */
export class RecentSet<K> {
    private readonly items = new Set<K>();

    constructor(private readonly capacity: number) {}

    has(key: K): boolean {
        return this.items.has(key);
    }

    add(key: K): void {
        if (this.items.has(key)) {
            return;
        }
        if (this.items.size >= this.capacity) {
            const oldest = this.items.values().next().value as K;
            this.items.delete(oldest);
        }
        this.items.add(key);
    }
}

/** Java source spelling of a bridge type name: "[Ljava.lang.String;" -> "java.lang.String[]". */
export function sourceTypeName(name: string): string {
    let dims = 0;
    while (name[dims] === "[") {
        dims++;
    }
    if (dims === 0) {
        return name;
    }
    const element = name.substring(dims);
    const primitives: Record<string, string> = {
        Z: "boolean", B: "byte", C: "char", S: "short", I: "int", J: "long", F: "float", D: "double",
    };
    const base = element.startsWith("L") && element.endsWith(";")
        ? element.substring(1, element.length - 1)
        : (primitives[element] ?? element);
    return base + "[]".repeat(dims);
}

export function truncate(s: string | null, max: number): string | null {
    if (s === null || s.length <= max) {
        return s;
    }
    return s.substring(0, max) + "…";
}
