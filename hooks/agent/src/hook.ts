// The one way this agent hooks a Java method.
//
// Every overload of class.method is replaced by a wrapper that calls the original through
// the same overload object, returns its value untouched and rethrows its exception: the
// app must behave exactly as without us. What gets reported is decided by a describer
// from a domain module (identifiers.ts, consent.ts, ...), named in the hook table.
//
// Guards keep events honest:
// - per thread and per guard (the row id, or a group shared by rows that call each other),
//   only the outermost call reports: getImei() delegating to getImei(int), Cipher.doFinal
//   calling into MessageDigest, Dialog.show adding a window, is one event, not several;
// - while the agent itself runs Java code (describing a value, taking a stack) on a
//   thread, hooks hit on that thread stay silent.
// And two brakes: a hook that fires in a hot loop reports a burst, then a steady rate (the
// rest are counted, not sent); rows marked dedupe report an identical event only once.
import Java from "frida-java-bridge";

import { Data, Moment, currentThreadName, emit, moment } from "./emit.js";
import { DirectCall, FastRow, fastCounters, inFastQuietZone, queueFastPath, setDirectReporter, takeFastSkipped } from "./fastpath.js";
import { captureStack } from "./stack.js";
import { sourceTypeName } from "./values.js";

export interface RateSpec {
    per_second: number;
    burst: number;
}

export interface HookSpec {
    id: string;
    /** The declaring class the table validates against. */
    class: string;
    /** The concrete class actually hooked, when `class` is abstract or an interface. */
    hook_on?: string | null;
    method: string;
    /** Overloads the table expects (Java source type names); all present ones are hooked anyway. */
    overloads?: string[][] | null;
    /** Hook only the listed overloads (a hot method whose other overloads only delegate). */
    exact?: boolean;
    kind: string;
    pii_type?: string | string[] | null;
    describe: string;
    params?: Data;
    /** false for hooks too hot or too fragile for stacks; a number: stacks for that many reports only. */
    stack?: boolean | number;
    /** Per-row rate limit; the run's default applies when absent. */
    rate?: RateSpec | null;
    /** Rows sharing a guard report only the outermost of nested calls on a thread. */
    guard?: string | null;
    /** Nested calls report too (the class-loader watcher: each nested load is another class). */
    reentrant?: boolean;
    /** Report an event identical to one already sent (same api, value and data) only once. */
    dedupe?: boolean;
    visibility?: string;
    /** `class` is an interface or abstract class: hook `method` on the classes implementing it. */
    implementations?: boolean;
    /** Calls to this row may make new implementations appear: look for them again afterwards. */
    rescan?: boolean;
    /** Platform code: hooks hit while it runs on a thread stay silent (nothing is reported). */
    quiet?: boolean;
}

export interface Call {
    spec: HookSpec;
    /** The overload as the app calls it (for an implementation: through the row's interface). */
    api: string;
    /** "pkg.Class.method" actually replaced (where the stack is cut). */
    hooked: string;
    /** Java source names of this overload's parameter types. */
    argTypes: string[];
    /** The receiver (for a constructor: the new object, valid in after()). */
    self: Java.Wrapper | null;
    args: unknown[];
    ret?: unknown;
    error?: unknown;
    /** What `before` returned. */
    snapshot?: unknown;
    params: Data;
    /** Set by seenBefore(): the describer did the dedupe check itself, on a cheaper key. */
    deduped?: boolean;
}

export interface Detail {
    value?: string | null;
    pii_type?: string | null;
    data?: Data;
}

export interface Describer {
    /**
     * Reports every call it describes (never null, no state): once the row's rate limit has
     * no token left, the call is only counted, without describing it.
     */
    reportsEveryCall?: boolean;
    /** Runs before the original, for state the call may change (a clicked view's label, a buffer). */
    before?(call: Call): unknown;
    /** What to report, or null to stay silent for this call (e.g. a settings key of no interest). */
    after(call: Call): Detail | null;
}

export type CoverageStatus = "hooked" | "class-missing" | "method-missing" | "hook-failed";

export interface Coverage {
    hook: string;
    api: string;
    status: CoverageStatus;
    error?: string;
    at_ms: number;
    /** How a class that was not there at install time was found later. */
    via?: string;
    loader?: string | null;
}

export interface RateLimit {
    perSecond: number;
    burst: number;
}

interface HookCounters {
    /** Calls that reached the hook outside another call of its guard (quiet rows: every call). */
    calls: number;
    reported: number;
    suppressed: number;
    deduped: number;
    errors: number;
}

const counters = new Map<string, HookCounters>();
const busyThreads = new Set<number>();
/** Per thread, the guards (small numbers) of the calls in progress: nested calls stay silent. */
const activeCalls = new Map<number, number[]>();
const guardNumbers = new Map<string, number>();

const limiters = new Map<string, TokenBucket>();
const MAX_ERRORS_REPORTED = 5;
const MAX_DEDUPE_KEYS = 4096;
const CONSTRUCTOR = 1;
const INSTANCE_METHOD = 3;

export const rateLimit: { value: RateLimit | null } = { value: { perSecond: 50, burst: 200 } };

/** Set by loaders.ts: looks for new implementations after a row marked `rescan` ran. */
export const rescanHook: { run: (() => void) | null } = { run: null };

/**
 * Per row: `calls` (outermost calls, and every call of a quiet row), `reported`,
 * `suppressed`, `deduped`, `errors`; on HotSpot also `nested`: calls run straight through by
 * the C dispatcher because they could report nothing (inside another call of the row's
 * guard, or inside a quiet zone; fastpath.ts). The JS path does not count those.
 */
export function hookCounters(): Record<string, HookCounters & { nested?: number }> {
    const result: Record<string, HookCounters & { nested?: number }> = {};
    for (const [id, stats] of counters) {
        const fast = fastCounters(id);
        result[id] = fast === null ? { ...stats } : {
            ...stats,
            calls: stats.calls + fast.zone + fast.counted,
            suppressed: stats.suppressed + fast.counted,
            nested: fast.nested,
        };
    }
    return result;
}

function guardNumber(guard: string): number {
    let n = guardNumbers.get(guard);
    if (n === undefined) {
        n = guardNumbers.size;
        guardNumbers.set(guard, n);
    }
    return n;
}

/** Runs agent code on the current thread with hooks silenced there. */
export function asAgent<T>(fn: () => T): T {
    const tid = Process.getCurrentThreadId();
    if (busyThreads.has(tid)) {
        return fn();
    }
    busyThreads.add(tid);
    try {
        return fn();
    } finally {
        busyThreads.delete(tid);
    }
}

/** The class the agent replaces methods on. */
export function hookedClassName(spec: HookSpec): string {
    return spec.hook_on ?? spec.class;
}

export interface HookTarget {
    /** Where to find the class: the default factory, or one bound to the loader that defined it. */
    factory?: Java.ClassFactory;
    /** Hook this class instead of the row's own (an implementation found later). */
    className?: string;
    via?: string;
    loader?: string | null;
}

/** Hooks every overload of the row's method; returns one coverage record per overload. */
export function hookEveryOverload(spec: HookSpec, describer: Describer, target: HookTarget = {}): Coverage[] {
    const className = target.className ?? hookedClassName(spec);
    const whole = `${className}.${spec.method}`;
    const base = { hook: spec.id, via: target.via, loader: target.loader };
    let klass: Java.Wrapper;
    try {
        klass = (target.factory ?? Java).use(className);
    } catch (e) {
        return [{ ...base, api: whole, status: "class-missing", error: errorText(e), at_ms: Date.now() }];
    }
    const dispatcher = klass[spec.method] as Java.MethodDispatcher | undefined;
    if (dispatcher === undefined || dispatcher.overloads === undefined) {
        return [{ ...base, api: whole, status: "method-missing", at_ms: Date.now() }];
    }
    const results: Coverage[] = [];
    const present = new Set<string>();
    const stats: HookCounters = counters.get(spec.id)
        ?? { calls: 0, reported: 0, suppressed: 0, deduped: 0, errors: 0 };
    counters.set(spec.id, stats);
    const wanted = new Set((spec.overloads ?? []).map(args => args.join(",")));
    for (const overload of dispatcher.overloads) {
        const argTypes = overload.argumentTypes.map(t => sourceTypeName(t.className ?? t.name));
        const signature = argTypes.join(",");
        present.add(signature);
        if (spec.exact === true && !wanted.has(signature)) {
            continue;
        }
        const api = `${whole}(${argTypes.join(", ")})`;
        // An implementation found later is reported under the interface the app calls it through.
        const called = target.className !== undefined && spec.implementations === true
            ? `${spec.class}.${spec.method}(${argTypes.join(", ")})` : api;
        try {
            overload.implementation = makeWrapper(spec, called, whole, argTypes, overload, describer, stats);
            queueFastPath(fastRow(spec, describer, { spec, api: called, hooked: whole, argTypes, describer, stats }), overload);
            results.push({ ...base, api, status: "hooked", at_ms: Date.now() });
        } catch (e) {
            results.push({ ...base, api, status: "hook-failed", error: errorText(e), at_ms: Date.now() });
        }
    }
    for (const expected of spec.overloads ?? []) {
        if (!present.has(expected.join(","))) {
            results.push({ ...base, api: `${whole}(${expected.join(", ")})`, status: "method-missing", at_ms: Date.now() });
        }
    }
    return results;
}

/** A row whose every call is an event (see countOnly in makeWrapper). */
function reportsEveryCall(spec: HookSpec, describer: Describer): boolean {
    return describer.reportsEveryCall === true && describer.before === undefined
        && spec.rescan !== true && spec.dedupe !== true;
}

interface DirectContext {
    spec: HookSpec;
    api: string;
    hooked: string;
    argTypes: string[];
    describer: Describer;
    stats: HookCounters;
}

/** How fastpath.ts handles the row's overloads on HotSpot. */
function fastRow(spec: HookSpec, describer: Describer, context: DirectContext): FastRow {
    const row: FastRow = { id: spec.id, guard: guardNumber(spec.guard ?? spec.id), quiet: spec.quiet === true,
                           reentrant: spec.reentrant === true };
    if (reportsEveryCall(spec, describer) && spec.quiet !== true && spec.reentrant !== true) {
        // The same limit as the row's TokenBucket (limit()), kept in C for these rows.
        const run = rateLimit.value;
        const rate = run === null ? null
            : spec.rate !== undefined && spec.rate !== null ? { perSecond: spec.rate.per_second, burst: spec.rate.burst } : run;
        row.direct = { rate, context };
    }
    return row;
}

/**
 * A direct row's call, reported after the original ran (fastpath.ts): the C dispatcher took
 * its rate-limit token, sequence number and time at the start; here it is described and
 * reported like any other (the describer sees `ret`, or `error` if the original threw).
 */
function reportDirect(direct: DirectCall): void {
    const context = direct.context as DirectContext;
    const { spec, stats } = context;
    const tid = Process.getCurrentThreadId();
    const guard = guardNumber(spec.guard ?? spec.id);
    if (busyThreads.has(tid) || (activeCalls.get(tid)?.includes(guard) ?? false)) {
        return;
    }
    stats.calls++;
    const at: Moment = { seq: direct.seq, t_dev_ms: direct.tDevMs, tid };
    const call: Call = { spec, api: context.api, hooked: context.hooked, argTypes: context.argTypes, self: null, args: [],
                         params: spec.params ?? {} };
    const converted = describeSafely(stats, context.api, () => {
        if (!direct.exception.isNull()) {
            call.error = new Error(javaText(direct.exception));
        } else if (direct.text !== null) {
            call.ret = direct.text;
        } else {
            call.ret = fromJniResult(direct.overload, direct.ret);
        }
        return true;
    });
    if (converted.error !== null) {
        return;
    }
    report(spec, call, context.describer, stats, limiterFor(spec), at, true);
}

function javaText(handle: NativePointer): string {
    const throwable = Java.cast(handle, Java.use("java.lang.Throwable"));
    return String(throwable.toString());
}

/** The original's raw JNI result as the bridge's wrapper would have handed it to us. */
function fromJniResult(overload: Java.Method, raw: NativePointer): unknown {
    const type = overload.returnType as unknown as { type: string; fromJni(v: unknown, env: unknown, owned: boolean): unknown };
    switch (type.type) {
        case "void":
            return undefined;
        case "pointer":
            return type.fromJni(raw, Java.vm.getEnv(), false);
        case "int64":
            return type.fromJni(int64(raw.toString()), Java.vm.getEnv(), false);
        case "uint8":
            return type.fromJni(raw.and(0xff).toUInt32(), Java.vm.getEnv(), false);
        case "int8":
            return type.fromJni((raw.and(0xff).toUInt32() << 24) >> 24, Java.vm.getEnv(), false);
        case "uint16":
            return type.fromJni(raw.and(0xffff).toUInt32(), Java.vm.getEnv(), false);
        case "int16":
            return type.fromJni((raw.and(0xffff).toUInt32() << 16) >> 16, Java.vm.getEnv(), false);
        default:
            return type.fromJni(raw.and(0xffffffff).toUInt32() | 0, Java.vm.getEnv(), false);
    }
}

setDirectReporter(reportDirect);

function limiterFor(spec: HookSpec): TokenBucket {
    let limiter = limiters.get(spec.id);
    if (limiter === undefined) {
        limiter = new TokenBucket(spec.rate ?? null);
        limiters.set(spec.id, limiter);
    }
    return limiter;
}

function makeWrapper(spec: HookSpec, api: string, hooked: string, argTypes: string[], overload: Java.Method,
                     describer: Describer, stats: HookCounters): Java.MethodImplementation {
    const params = spec.params ?? {};
    const guard = guardNumber(spec.guard ?? spec.id);
    const limiter = limiterFor(spec);
    const hasSelf = overload.type === INSTANCE_METHOD || overload.type === CONSTRUCTOR;
    if (spec.quiet === true) {
        return function (this: Java.Wrapper, ...args: unknown[]): unknown {
            stats.calls++;
            return asAgent(() => overload.apply(this, args));
        };
    }
    // Once the rate limit has no token left, a row whose every call would be an event only
    // counts: no describing, no event object, one crossing and a few additions.
    const countOnly = reportsEveryCall(spec, describer);
    return function (this: Java.Wrapper, ...args: unknown[]): unknown {
        const tid = Process.getCurrentThreadId();
        let active = activeCalls.get(tid);
        if (active === undefined) {
            active = [];
            activeCalls.set(tid, active);
        }
        const nested = active.includes(guard);
        if (busyThreads.has(tid) || (nested && spec.reentrant !== true) || inFastQuietZone()) {
            return overload.apply(this, args);
        }
        if (!nested) {
            active.push(guard);
        }
        if (countOnly && limiter.spent()) {
            stats.calls++;
            stats.suppressed++;
            limiter.skip();
            try {
                return overload.apply(this, args);
            } finally {
                if (!nested) {
                    active.pop();
                }
            }
        }
        try {
            stats.calls++;
            const at = moment();
            const call: Call = { spec, api, hooked, argTypes, self: hasSelf ? this : null, args, params };
            if (describer.before !== undefined) {
                const before = describer.before;
                call.snapshot = describeSafely(stats, api, () => before(call)).result;
            }
            let failed = false;
            try {
                call.ret = overload.apply(this, args);
            } catch (e) {
                failed = true;
                call.error = e;
            }
            report(spec, call, describer, stats, limiter, at);
            if (spec.rescan === true && rescanHook.run !== null) {
                const rescan = rescanHook.run;
                describeSafely(stats, api, () => rescan());
            }
            if (failed) {
                throw call.error;
            }
            return call.ret;
        } finally {
            if (!nested) {
                active.pop();
            }
        }
    };
}

const sentKeys = new Set<string>();

/**
 * For describers of rows marked dedupe whose events are costly to build (crypto): true if
 * an event with this key was already sent for this row, checked before building it.
 */
export function seenBefore(call: Call, key: string): boolean {
    call.deduped = true;
    if (call.spec.dedupe !== true || firstTime(`${call.spec.id}\u0000${key}`)) {
        return false;
    }
    const stats = counters.get(call.spec.id);
    if (stats !== undefined) {
        stats.deduped++;
    }
    return true;
}

/** True the first time this exact event is seen; bounded, so memory stays flat on long runs. */
function firstTime(key: string): boolean {
    if (sentKeys.has(key)) {
        return false;
    }
    if (sentKeys.size >= MAX_DEDUPE_KEYS) {
        sentKeys.clear();
    }
    sentKeys.add(key);
    return true;
}

function report(spec: HookSpec, call: Call, describer: Describer, stats: HookCounters,
                limiter: TokenBucket, at: Moment, admitted = false): void {
    const described = describeSafely(stats, call.api, () => describer.after(call));
    // A describer that failed still leaves the call on record, without a value.
    const detail: Detail | null = described.error !== null
        ? { data: { describe_error: described.error } }
        : described.result;
    if (detail === null || detail === undefined) {
        return;
    }
    if (spec.dedupe === true && call.deduped !== true
        && !firstTime(`${call.api}\u0000${detail.value}\u0000${JSON.stringify(detail.data ?? {})}`)) {
        stats.deduped++;
        return;
    }
    // Only calls worth an event count against the rate limit (a settings read of another
    // key must not crowd out android_id), and only the limit decides: the call was real.
    // A direct row's call was admitted by the C dispatcher's limit (fastpath.ts).
    if (!admitted && !limiter.admit()) {
        stats.suppressed++;
        return;
    }
    asAgent(() => {
        const data: Data = { hook: spec.id, ...(detail.data ?? {}) };
        const hookedClass = call.hooked.substring(0, call.hooked.lastIndexOf("."));
        if (hookedClass !== spec.class && hookedClass !== spec.hook_on) {
            data.implementation = hookedClass;
        }
        if (call.error !== undefined) {
            data.threw = errorText(call.error);
        }
        const skipped = limiter.takeSkipped() + (admitted ? takeFastSkipped(spec.id) : 0);
        if (skipped > 0) {
            data.suppressed_before = skipped;
        }
        const wantStack = typeof spec.stack === "number" ? stats.reported < spec.stack : spec.stack !== false;
        const stack = wantStack ? captureStack(call.hooked) : null;
        const rowType = typeof spec.pii_type === "string" ? spec.pii_type : null;
        emit(spec.kind, {
            api: call.api,
            pii_type: detail.pii_type !== undefined ? detail.pii_type : rowType,
            value: detail.value ?? null,
            thread: currentThreadName(),
            stack_id: stack?.id ?? null,
            stack: stack?.frames ?? null,
            stack_origins: stack?.origins ?? null,
            data,
        }, at);
        stats.reported++;
    });
}

function describeSafely<T>(stats: HookCounters, api: string, fn: () => T): { result: T | null; error: string | null } {
    try {
        return { result: asAgent(fn), error: null };
    } catch (e) {
        stats.errors++;
        const error = errorText(e);
        if (stats.errors <= MAX_ERRORS_REPORTED) {
            emit("agent_error", { api, data: { error, where: "describer" } });
        }
        return { result: null, error };
    }
}

export function errorText(e: unknown): string {
    if (e instanceof Error) {
        return e.message;
    }
    return String(e);
}

/** Hot hooks (a getter called in a loop) report at most `burst` at once, then `perSecond`. */
class TokenBucket {
    private tokens: number | null = null;
    private last = Date.now();
    private skipped = 0;

    constructor(private readonly own: RateSpec | null) {}

    private limit(): RateLimit | null {
        // No run-wide limit (a benchmark that wants every call) overrides the rows' own.
        if (rateLimit.value === null) {
            return null;
        }
        return this.own !== null ? { perSecond: this.own.per_second, burst: this.own.burst } : rateLimit.value;
    }

    /** True when the next call would not be admitted (a row with no limit is never spent). */
    spent(): boolean {
        const limit = this.limit();
        if (limit === null) {
            return false;
        }
        const now = Date.now();
        const tokens = this.tokens ?? limit.burst;
        return tokens + (now - this.last) * limit.perSecond / 1000 < 1;
    }

    /** Counts a call that was not admitted without asking (see spent()). */
    skip(): void {
        this.skipped++;
    }

    admit(): boolean {
        const limit = this.limit();
        if (limit === null) {
            return true;
        }
        const now = Date.now();
        const tokens = this.tokens ?? limit.burst;
        this.tokens = Math.min(limit.burst, tokens + (now - this.last) * limit.perSecond / 1000);
        this.last = now;
        if (this.tokens >= 1) {
            this.tokens -= 1;
            return true;
        }
        this.skipped++;
        return false;
    }

    takeSkipped(): number {
        const n = this.skipped;
        this.skipped = 0;
        return n;
    }
}
