// The hot path of a hooked method on HotSpot, in C: calls that nothing can be learned from
// never enter the JS runtime.
//
// frida-java-bridge replaces a method on HotSpot by turning a copy of it into a native
// method whose JNI function is the bridge's NativeCallback (lib/jvm.js nativeJvmMethod);
// the original stays callable through a jmethodID cell that holds the original Method*
// made non-virtual (lib/jvm.js resolveTarget). Once the bridge has done so (its
// Script.nextTick), this module points the native method at a small C dispatcher of its own
// (`Method::set_native_function`, as the bridge itself does when a replacement changes),
// one per hooked overload, compiled with CModule. The dispatcher:
//
// - counts every call (per row, in memory the agent reads for its counters);
// - runs the original straight through JNI (`Call<Type>MethodA` with the original's
//   jmethodID: nothing wrapped, no JS) when the call can report nothing:
//   - this thread is inside a quiet zone (a row marked quiet: KeyStore.load, the JDK's TLS
//     and random-number code) — the zone itself is entered and left in C;
//   - this thread is already inside a call of the same guard (getImei() delegating to
//     getImei(int), HMAC's inner MessageDigest steps), unless the row is reentrant;
// - for a row whose every call is an event (identifier getters: `direct` rows), runs the
//   row's rate limit in C: a call with no token left is only counted and run straight
//   through (the hook that turns into a counter); an admitted call takes its sequence number
//   and time at its start, runs the original through JNI, and only then enters JS once,
//   through a bare NativeCallback that describes and reports it (no wrapper objects, no
//   second JNI round trip from JS; the app gets the original's own return value);
// - otherwise hands the call, with its arguments untouched, to the bridge's NativeCallback:
//   the JS wrapper in hook.ts describes and reports it exactly as before.
//
// The app's exceptions propagate by themselves: a native method that returns with a
// pending exception throws it in its caller. Per-thread state (quiet depth, the guards in
// progress, one bit per guard) lives in a lock-free table keyed by pthread_self(), entries
// never reclaimed; a thread that finds the table full takes the JS path, which is always
// correct, only slower.
//
// Only overloads whose arguments and result are integers, booleans, chars or references
// (no float or double: those travel in other registers) and at most MAX_ARGS arguments,
// and not constructors, get a dispatcher; the others keep the bridge's path. ART is left
// alone (the bridge there swaps the ArtMethod's entry points; not done here).
import Java from "frida-java-bridge";

import { sequence } from "./emit.js";

const MAX_ARGS = 6;
const THREADS = 4096;
const GUARDS = 1024;
const MAX_SLOTS = 2048;
const MAX_ROWS = 1024;
const SLOT_SIZE = 32;
const ROW_SIZE = 64;

const FLAG_QUIET = 1;
const FLAG_REENTRANT = 2;
const FLAG_STATIC = 4;
const FLAG_DIRECT = 8;
const FLAG_STRING = 16;

const STATIC_METHOD = 2;
const INSTANCE_METHOD = 3;

/** The bridge's raw JNI type names to the kind the C code calls the original with. */
const RETURN_KIND: Record<string, number> = {
    void: 0, pointer: 1, uint8: 2, int8: 3, uint16: 4, int16: 5, int32: 6, int64: 7,
};
const INTEGER_ARGS = new Set(["pointer", "uint8", "int8", "uint16", "int16", "int32", "int64"]);

export interface FastRow {
    id: string;
    guard: number;
    quiet: boolean;
    reentrant: boolean;
    /**
     * Every call is an event and nothing is read before the original: the C side runs the
     * rate limit (`rate`: null for none) and calls `report` after the original.
     */
    direct?: {
        rate: { perSecond: number; burst: number } | null;
        context: unknown;
    };
}

/** What a direct row's report gets: the context it registered, the call's result and time. */
export interface DirectCall {
    context: unknown;
    overload: Java.Method;
    /** The raw JNI result (a local reference, or a primitive in the low bits). */
    ret: NativePointer;
    /** The exception the original threw (a local reference), or NULL. */
    exception: NativePointer;
    /** A String result's text (read in C), or null for other results. */
    text: string | null;
    seq: number;
    tDevMs: number;
}

interface Pending {
    row: number;
    flags: number;
    guard: number;
    retKind: number;
    args: number;
    overload: Java.Method;
    context: unknown;
}

/**
 * Counters kept in C per row: calls run straight through (nested or in a quiet zone), calls
 * of a quiet row, and calls only counted because the rate limit had no token.
 */
export interface FastCounters {
    nested: number;
    zone: number;
    counted: number;
}

const SHARED = `
#include <glib.h>
typedef unsigned long long u64;
typedef struct { void *impl; void *orig; int guard; int flags; int ret; int row; } Slot;
typedef struct {
    int through; int zone; int counted; int skipped; int limited; int started;
    double tokens; double last_ms; double per_second; double burst; GMutex lock;
} Row;
typedef struct { u64 key; int claim; int quiet; unsigned char guards[${GUARDS / 8}]; } Thr;
extern Slot fp_slots[];
extern Row fp_rows[];
extern Thr fp_threads[];
extern int fp_quiet_total;
extern int fp_seq;
extern void *pthread_self(void);
`;

const CORE = `${SHARED}
typedef u64 (*F0)(void *, void *);
typedef u64 (*F1)(void *, void *, u64);
typedef u64 (*F2)(void *, void *, u64, u64);
typedef u64 (*F3)(void *, void *, u64, u64, u64);
typedef u64 (*F4)(void *, void *, u64, u64, u64, u64);
typedef u64 (*F5)(void *, void *, u64, u64, u64, u64, u64);
typedef u64 (*F6)(void *, void *, u64, u64, u64, u64, u64, u64);
typedef u64 (*CallA)(void *, void *, void *, const u64 *);

/* JNINativeInterface slots of Call<Type>MethodA and CallStatic<Type>MethodA, by result kind:
   void, Object, Boolean, Byte, Char, Short, Int, Long. */
static const int VIRTUAL_A[8] = { 63, 36, 39, 42, 45, 48, 51, 54 };
static const int STATIC_A[8] = { 143, 116, 119, 122, 125, 128, 131, 134 };

static Thr *fp_thread(void) {
    u64 key = (u64) pthread_self();
    unsigned int h = (unsigned int) ((key >> 12) ^ (key >> 24)) & (${THREADS} - 1);
    int i;
    for (i = 0; i < ${THREADS}; i++) {
        Thr *t = &fp_threads[(h + i) & (${THREADS} - 1)];
        u64 k = t->key;
        if (k == key)
            return t;
        if (k == 0 && g_atomic_int_add(&t->claim, 1) == 0) {
            t->key = key;
            return t;
        }
    }
    return (Thr *) 0;
}

extern void fp_report(int slot, void *env, void *ret, void *exception, int seq, double t_ms, const void *chars, int length);

/* JNINativeInterface slots. */
#define JNI_THROW 13
#define JNI_EXCEPTION_OCCURRED 15
#define JNI_EXCEPTION_CLEAR 17
#define JNI_GET_STRING_LENGTH 164
#define JNI_GET_STRING_CHARS 165
#define JNI_RELEASE_STRING_CHARS 166

/* The row's token bucket (the same rule as hook.ts's TokenBucket): 1 if a token was taken. */
static int fp_admit(Row *r) {
    int admitted;
    double now;
    if (!r->limited)
        return 1;
    now = g_get_real_time() / 1000.0;
    g_mutex_lock(&r->lock);
    if (!r->started) {
        r->started = 1;
        r->tokens = r->burst;
        r->last_ms = now;
    }
    r->tokens = r->tokens + (now - r->last_ms) * r->per_second / 1000.0;
    if (r->tokens > r->burst)
        r->tokens = r->burst;
    r->last_ms = now;
    admitted = r->tokens >= 1.0;
    if (admitted)
        r->tokens -= 1.0;
    else
        r->skipped++;
    g_mutex_unlock(&r->lock);
    return admitted;
}

int fp_take_skipped(int row) {
    Row *r = &fp_rows[row];
    int n;
    g_mutex_lock(&r->lock);
    n = r->skipped;
    r->skipped = 0;
    g_mutex_unlock(&r->lock);
    return n;
}

int fp_next_seq(void) {
    return g_atomic_int_add(&fp_seq, 1);
}

static u64 fp_original(Slot *s, void *env, void *self, const u64 *v) {
    void **fns = *(void ***) env;
    int idx = (s->flags & ${FLAG_STATIC}) ? STATIC_A[s->ret] : VIRTUAL_A[s->ret];
    return ((CallA) fns[idx])(env, self, s->orig, v);
}

static u64 fp_forward(Slot *s, void *env, void *self, const u64 *v, int n) {
    switch (n) {
    case 0: return ((F0) s->impl)(env, self);
    case 1: return ((F1) s->impl)(env, self, v[0]);
    case 2: return ((F2) s->impl)(env, self, v[0], v[1]);
    case 3: return ((F3) s->impl)(env, self, v[0], v[1], v[2]);
    case 4: return ((F4) s->impl)(env, self, v[0], v[1], v[2], v[3]);
    case 5: return ((F5) s->impl)(env, self, v[0], v[1], v[2], v[3], v[4]);
    default: return ((F6) s->impl)(env, self, v[0], v[1], v[2], v[3], v[4], v[5]);
    }
}

static u64 fp_direct(Slot *s, Row *r, Thr *t, int set, void *env, void *self, const u64 *v) {
    void **fns = *(void ***) env;
    u64 result;
    void *exception;
    int seq;
    double t_ms;
    const void *chars = (const void *) 0;
    int length = 0;
    if (!fp_admit(r)) {
        g_atomic_int_add(&r->counted, 1);
        if (set)
            t->guards[s->guard >> 3] |= (unsigned char) (1 << (s->guard & 7));
        result = fp_original(s, env, self, v);
        if (set)
            t->guards[s->guard >> 3] &= (unsigned char) ~(1 << (s->guard & 7));
        return result;
    }
    seq = g_atomic_int_add(&fp_seq, 1);
    t_ms = (double) (g_get_real_time() / 1000);   /* whole ms, as Date.now() */
    if (set)
        t->guards[s->guard >> 3] |= (unsigned char) (1 << (s->guard & 7));
    result = fp_original(s, env, self, v);
    if (set)
        t->guards[s->guard >> 3] &= (unsigned char) ~(1 << (s->guard & 7));
    exception = ((void *(*)(void *)) fns[JNI_EXCEPTION_OCCURRED])(env);
    if (exception != (void *) 0)
        ((void (*)(void *)) fns[JNI_EXCEPTION_CLEAR])(env);
    else if ((s->flags & ${FLAG_STRING}) && result != 0) {
        /* A String result is handed to JS as its UTF-16 code units: no JNI call from JS. */
        length = ((int (*)(void *, void *)) fns[JNI_GET_STRING_LENGTH])(env, (void *) result);
        chars = ((const void *(*)(void *, void *, void *)) fns[JNI_GET_STRING_CHARS])(env, (void *) result, (void *) 0);
    }
    fp_report((int) (s - fp_slots), env, (void *) result, exception, seq, t_ms, chars, length);
    if (chars != (const void *) 0)
        ((void (*)(void *, void *, const void *)) fns[JNI_RELEASE_STRING_CHARS])(env, (void *) result, chars);
    if (exception != (void *) 0)
        ((int (*)(void *, void *)) fns[JNI_THROW])(env, exception);
    return result;
}

u64 fp_dispatch(Slot *s, void *env, void *self, const u64 *v, int n) {
    Thr *t = fp_thread();
    Row *r = &fp_rows[s->row];
    u64 result;
    int set;
    if (t == (Thr *) 0)
        return fp_forward(s, env, self, v, n);
    if (t->quiet > 0) {
        g_atomic_int_add(&r->through, 1);
        return fp_original(s, env, self, v);
    }
    if (s->flags & ${FLAG_QUIET}) {
        g_atomic_int_add(&r->zone, 1);
        t->quiet++;
        g_atomic_int_add(&fp_quiet_total, 1);
        result = fp_original(s, env, self, v);
        g_atomic_int_add(&fp_quiet_total, -1);
        t->quiet--;
        return result;
    }
    set = (t->guards[s->guard >> 3] & (1 << (s->guard & 7))) == 0;
    if (!set && !(s->flags & ${FLAG_REENTRANT})) {
        g_atomic_int_add(&r->through, 1);
        return fp_original(s, env, self, v);
    }
    if (s->flags & ${FLAG_DIRECT})
        return fp_direct(s, r, t, set, env, self, v);
    if (set)
        t->guards[s->guard >> 3] |= (unsigned char) (1 << (s->guard & 7));
    result = fp_forward(s, env, self, v, n);
    if (set)
        t->guards[s->guard >> 3] &= (unsigned char) ~(1 << (s->guard & 7));
    return result;
}

int fp_quiet_here(void) {
    Thr *t = fp_thread();
    return t != (Thr *) 0 && t->quiet > 0;
}
`;

let state: {
    slots: NativePointer;
    rows: NativePointer;
    threads: NativePointer;
    quietTotal: NativePointer;
    seq: NativePointer;
    core: CModule;
    takeSkipped: NativeFunction<number, [number]>;
    dispatch: NativePointer;
    quietHere: NativeFunction<number, []>;
    modules: CModule[];
} | null = null;

let slotCount = 0;
/** Per slot: the overload and the context its row registered (direct rows' reports). */
const slotInfo: { overload: Java.Method; context: unknown }[] = [];
let directReporter: ((call: DirectCall) => void) | null = null;
let reportCallback: NativeCallback<"void", ["int", "pointer", "pointer", "pointer", "int", "double", "pointer", "int"]> | null = null;

/** hook.ts: describes and reports a direct row's call (runs on the calling thread, inside its native frame). */
export function setDirectReporter(fn: (call: DirectCall) => void): void {
    directReporter = fn;
}

function onDirectReport(slot: number, _env: NativePointer, ret: NativePointer, exception: NativePointer, seq: number,
                        tDevMs: number, chars: NativePointer, length: number): void {
    const info = slotInfo[slot];
    if (info === undefined || directReporter === null) {
        return;
    }
    try {
        const text = chars.isNull() ? null : chars.readUtf16String(length);
        directReporter({ context: info.context, overload: info.overload, ret, exception, text, seq, tDevMs });
    } catch (e) {
        // A report must never reach the app; the reporter counts its own errors.
        failure = e instanceof Error ? e.message : String(e);
    }
}
const rowIndex = new Map<string, number>();
const pending: Pending[] = [];
let flushQueued = false;
/** Off until install() says this is HotSpot and the run wants it. */
let disabled = true;
let failure: string | null = null;

function symbol(name: string): NativePointer {
    return Module.getGlobalExportByName(name);
}

function ensureState(): NonNullable<typeof state> {
    if (state !== null) {
        return state;
    }
    const slots = Memory.alloc(MAX_SLOTS * SLOT_SIZE);
    const rows = Memory.alloc(MAX_ROWS * ROW_SIZE);
    const threads = Memory.alloc(THREADS * (16 + GUARDS / 8));  // Thr: key, claim, quiet, guard bits
    const quietTotal = Memory.alloc(8);
    const seq = Memory.alloc(8);
    reportCallback = new NativeCallback(onDirectReport, "void",
                                        ["int", "pointer", "pointer", "pointer", "int", "double", "pointer", "int"]);
    const core = new CModule(CORE, {
        fp_slots: slots, fp_rows: rows, fp_threads: threads, fp_quiet_total: quietTotal, fp_seq: seq,
        fp_report: reportCallback,
        pthread_self: symbol("pthread_self"),
    });
    // From now on JS takes its sequence numbers from the counter the dispatchers share.
    seq.writeS32(sequence.take());
    const nextSeq = new NativeFunction(core.fp_next_seq, "int", [], { exceptions: "propagate" });
    sequence.take = () => nextSeq();
    state = {
        slots, rows, threads, quietTotal, seq, core,
        dispatch: core.fp_dispatch,
        quietHere: new NativeFunction(core.fp_quiet_here, "int", [], { exceptions: "propagate" }),
        takeSkipped: new NativeFunction(core.fp_take_skipped, "int", ["int"], { exceptions: "propagate" }),
        modules: [],
    };
    return state;
}

/** On for HotSpot unless the run's config says `fast_path: false` (index.ts). */
export function setFastPathEnabled(enabled: boolean): void {
    disabled = !enabled;
}

export function fastPathError(): string | null {
    return failure;
}

/**
 * Queues a hooked overload for a C dispatcher. Call right after setting its implementation;
 * the swap happens in a tick after the bridge's own. Returns false when the overload keeps
 * the bridge's path (ART, floating-point or too many arguments, a constructor).
 */
export function queueFastPath(row: FastRow, overload: Java.Method): boolean {
    if (disabled || row.guard >= GUARDS) {
        return false;
    }
    if (overload.type !== INSTANCE_METHOD && overload.type !== STATIC_METHOD) {
        return false;
    }
    const argTypes = overload.argumentTypes.map(t => t.type);
    const retKind = RETURN_KIND[overload.returnType.type];
    if (retKind === undefined || argTypes.length > MAX_ARGS || !argTypes.every(t => INTEGER_ARGS.has(t))) {
        return false;
    }
    let index = rowIndex.get(row.id);
    if (index === undefined) {
        if (rowIndex.size >= MAX_ROWS) {
            return false;
        }
        index = rowIndex.size;
        rowIndex.set(row.id, index);
    }
    const direct = row.direct !== undefined && !row.quiet && !row.reentrant;
    const flags = (row.quiet ? FLAG_QUIET : 0) | (row.reentrant ? FLAG_REENTRANT : 0)
        | (overload.type === STATIC_METHOD ? FLAG_STATIC : 0) | (direct ? FLAG_DIRECT : 0)
        | (direct && overload.returnType.className === "java.lang.String" ? FLAG_STRING : 0);
    if (direct) {
        const rate = row.direct!.rate;
        const at = ensureState().rows.add(index * ROW_SIZE);
        at.add(16).writeS32(rate === null ? 0 : 1);
        at.add(40).writeDouble(rate?.perSecond ?? 0);
        at.add(48).writeDouble(rate?.burst ?? 0);
    }
    pending.push({ row: index, flags, guard: row.guard, retKind, args: argTypes.length, overload,
                   context: row.direct?.context ?? null });
    if (!flushQueued) {
        flushQueued = true;
        Script.nextTick(flushFastPath);
    }
    return true;
}

interface Mangled {
    _r?: NativePointer & {
        _m?: {
            newMethod: { method: NativePointer } | null;
            resolveTarget(wrapper: unknown, isInstance: boolean, env: unknown, api: unknown): NativePointer;
        };
    };
}

/** Compiles the dispatchers of every queued overload and points their native methods at them. */
export function flushFastPath(): void {
    flushQueued = false;
    const batch = pending.splice(0, pending.length);
    if (batch.length === 0 || disabled) {
        return;
    }
    try {
        installBatch(batch);
    } catch (e) {
        // The bridge's path stays in place for this batch: slower, never wrong.
        failure = e instanceof Error ? e.message : String(e);
    }
}

function installBatch(batch: Pending[]): void {
    const st = ensureState();
    // The bridge's resolved libjvm functions (index.js keeps them as `Java.api`; not typed).
    const api = (Java as unknown as { api: Record<string, NativeFunction<void, [NativePointer, NativePointer, number]>> }).api;
    const setNative = api["Method::set_native_function"];
    if (setNative === undefined) {
        throw new Error("Method::set_native_function not found");
    }
    const ready: { p: Pending; slot: number; method: NativePointer }[] = [];
    Java.performNow(() => {
        const env = Java.vm.getEnv();
        for (const p of batch) {
            const replacement = (p.overload as unknown as Mangled)._r;
            const mangler = replacement?._m;
            if (replacement === undefined || mangler === undefined || mangler.newMethod === null || slotCount >= MAX_SLOTS) {
                continue;
            }
            // The jmethodID cell of the original Method*, the one the bridge calls it through.
            const orig = mangler.resolveTarget(null, p.overload.type === INSTANCE_METHOD, env, api);
            const slot = slotCount++;
            slotInfo[slot] = { overload: p.overload, context: p.context };
            const at = st.slots.add(slot * SLOT_SIZE);
            at.writePointer(replacement);
            at.add(8).writePointer(orig);
            at.add(16).writeS32(p.guard);
            at.add(20).writeS32(p.flags);
            at.add(24).writeS32(p.retKind);
            at.add(28).writeS32(p.row);
            ready.push({ p, slot, method: mangler.newMethod.method });
        }
    });
    if (ready.length === 0) {
        return;
    }
    const source = [SHARED, "extern unsigned long long fp_dispatch(Slot *, void *, void *, const u64 *, int);"];
    for (const { p, slot } of ready) {
        const params = Array.from({ length: p.args }, (_, i) => `, u64 a${i}`).join("");
        const values = p.args === 0 ? "0" : Array.from({ length: p.args }, (_, i) => `a${i}`).join(", ");
        source.push(`u64 fp_m${slot}(void *env, void *self${params}) {
    u64 v[${Math.max(p.args, 1)}] = { ${values} };
    return fp_dispatch(&fp_slots[${slot}], env, self, v, ${p.args});
}`);
    }
    const module = new CModule(source.join("\n"), {
        fp_slots: st.slots, fp_rows: st.rows, fp_threads: st.threads, fp_quiet_total: st.quietTotal, fp_seq: st.seq,
        fp_dispatch: st.dispatch,
        pthread_self: symbol("pthread_self"),
    });
    st.modules.push(module);
    const exports = module as unknown as Record<string, NativePointer>;
    for (const { slot, method } of ready) {
        setNative(method, exports[`fp_m${slot}`], 0);
    }
}

/** True while this thread runs inside a quiet zone entered in C (cheap when none is active). */
export function inFastQuietZone(): boolean {
    if (state === null || state.quietTotal.readS32() === 0) {
        return false;
    }
    return state.quietHere() !== 0;
}

/** The C counters of a row, or null if none of its overloads has a dispatcher. */
export function fastCounters(id: string): FastCounters | null {
    const index = rowIndex.get(id);
    if (index === undefined || state === null) {
        return null;
    }
    const at = state.rows.add(index * ROW_SIZE);
    return { nested: at.readS32(), zone: at.add(4).readS32(), counted: at.add(8).readS32() };
}

/** Calls of a direct row only counted since its last report (taken: the count restarts). */
export function takeFastSkipped(id: string): number {
    const index = rowIndex.get(id);
    return index === undefined || state === null ? 0 : state.takeSkipped(index);
}

export function fastPathStats(): Record<string, unknown> {
    return { slots: slotCount, rows: rowIndex.size, modules: state?.modules.length ?? 0, error: failure };
}
