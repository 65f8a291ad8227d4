// The one way this agent hooks a Java method.
//
// Every overload of class.method is replaced by a wrapper that calls the original through
// the same overload object, returns its value untouched and rethrows its exception: the
// app must behave exactly as without us. What gets reported is decided by a describer
// from a domain module (identifiers.ts, consent.ts, ...), named in the hook table.
//
// Two guards keep events honest:
// - per thread and per hook, only the outermost call reports: getImei() delegating to
//   getImei(int), or getInstalledPackages(int) to ...AsUser, is one read, not two;
// - while the agent itself runs Java code (describing a value, taking a stack) on a
//   thread, hooks hit on that thread stay silent.
// And one brake: a hook that fires in a hot loop reports a burst, then a steady rate; the
// rest are counted, not sent.
import Java from "frida-java-bridge";

import { Data, Moment, currentThreadName, emit, moment } from "./emit.js";
import { captureStack } from "./stack.js";
import { sourceTypeName } from "./values.js";

export interface HookSpec {
    id: string;
    class: string;
    method: string;
    /** Overloads the table expects (Java source type names); all present ones are hooked anyway. */
    overloads?: { args: string[] }[] | null;
    kind: string;
    pii_type?: string | null;
    describe: string;
    params?: Data;
    /** false for hooks too hot or too fragile for stacks. */
    stack?: boolean;
}

export interface Call {
    spec: HookSpec;
    api: string;
    self: Java.Wrapper | null;
    args: unknown[];
    ret?: unknown;
    error?: unknown;
    /** What `before` returned. */
    snapshot?: unknown;
    params: Data;
}

export interface Detail {
    value?: string | null;
    pii_type?: string | null;
    data?: Data;
}

export interface Describer {
    /** Runs before the original, for state the call may change (a clicked view's label). */
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
}

export interface RateLimit {
    perSecond: number;
    burst: number;
}

interface HookCounters {
    calls: number;
    reported: number;
    suppressed: number;
    errors: number;
}

const counters = new Map<string, HookCounters>();
const busyThreads = new Set<number>();
/** "<tid>:<hook id>" of the calls in progress: nested calls of the same hook stay silent. */
const activeCalls = new Set<string>();
const MAX_ERRORS_REPORTED = 5;
const INSTANCE_METHOD = 3;

export const rateLimit: { value: RateLimit | null } = { value: { perSecond: 50, burst: 200 } };

export function hookCounters(): Record<string, HookCounters> {
    return Object.fromEntries(counters);
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

/** Hooks every overload of spec.class.spec.method; returns one coverage record per overload. */
export function hookEveryOverload(spec: HookSpec, describer: Describer): Coverage[] {
    const whole = `${spec.class}.${spec.method}`;
    let klass: Java.Wrapper;
    try {
        klass = Java.use(spec.class);
    } catch (e) {
        return [{ hook: spec.id, api: whole, status: "class-missing", error: errorText(e), at_ms: Date.now() }];
    }
    const dispatcher = klass[spec.method] as Java.MethodDispatcher | undefined;
    if (dispatcher === undefined || dispatcher.overloads === undefined) {
        return [{ hook: spec.id, api: whole, status: "method-missing", at_ms: Date.now() }];
    }
    const results: Coverage[] = [];
    const present = new Set<string>();
    const stats: HookCounters = counters.get(spec.id) ?? { calls: 0, reported: 0, suppressed: 0, errors: 0 };
    counters.set(spec.id, stats);
    const limiter = new TokenBucket();
    for (const overload of dispatcher.overloads) {
        const argTypes = overload.argumentTypes.map(t => sourceTypeName(t.className ?? t.name));
        present.add(argTypes.join(","));
        const api = `${whole}(${argTypes.join(", ")})`;
        try {
            overload.implementation = makeWrapper(spec, api, overload, describer, stats, limiter);
            results.push({ hook: spec.id, api, status: "hooked", at_ms: Date.now() });
        } catch (e) {
            results.push({ hook: spec.id, api, status: "hook-failed", error: errorText(e), at_ms: Date.now() });
        }
    }
    for (const expected of spec.overloads ?? []) {
        if (!present.has(expected.args.join(","))) {
            results.push({ hook: spec.id, api: `${whole}(${expected.args.join(", ")})`, status: "method-missing", at_ms: Date.now() });
        }
    }
    return results;
}

function makeWrapper(spec: HookSpec, api: string, overload: Java.Method, describer: Describer,
                     stats: HookCounters, limiter: TokenBucket): Java.MethodImplementation {
    const params = spec.params ?? {};
    return function (this: Java.Wrapper, ...args: unknown[]): unknown {
        const tid = Process.getCurrentThreadId();
        const key = `${tid}:${spec.id}`;
        if (activeCalls.has(key) || busyThreads.has(tid)) {
            return overload.apply(this, args);
        }
        activeCalls.add(key);
        try {
            stats.calls++;
            const at = moment();
            const self = overload.type === INSTANCE_METHOD ? this : null;
            const call: Call = { spec, api, self, args, params };
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
            if (failed) {
                throw call.error;
            }
            return call.ret;
        } finally {
            activeCalls.delete(key);
        }
    };
}

function report(spec: HookSpec, call: Call, describer: Describer, stats: HookCounters,
                limiter: TokenBucket, at: Moment): void {
    const described = describeSafely(stats, call.api, () => describer.after(call));
    // A describer that failed still leaves the call on record, without a value.
    const detail: Detail | null = described.error !== null
        ? { data: { describe_error: described.error } }
        : described.result;
    if (detail === null || detail === undefined) {
        return;
    }
    // Only calls worth an event count against the rate limit (a settings read of another
    // key must not crowd out android_id), and only the limit decides: the call was real.
    if (!limiter.admit()) {
        stats.suppressed++;
        return;
    }
    asAgent(() => {
        const data: Data = { hook: spec.id, ...(detail.data ?? {}) };
        if (call.error !== undefined) {
            data.threw = errorText(call.error);
        }
        const skipped = limiter.takeSkipped();
        if (skipped > 0) {
            data.suppressed_before = skipped;
        }
        const stack = spec.stack === false ? null : captureStack(spec.class, spec.method);
        emit(spec.kind, {
            api: call.api,
            pii_type: detail.pii_type !== undefined ? detail.pii_type : (spec.pii_type ?? null),
            value: detail.value ?? null,
            thread: currentThreadName(),
            stack_id: stack?.id ?? null,
            stack: stack?.frames ?? null,
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
    private tokens: number;
    private last = Date.now();
    private skipped = 0;

    constructor() {
        this.tokens = rateLimit.value?.burst ?? 0;
    }

    admit(): boolean {
        const limit = rateLimit.value;
        if (limit === null) {
            return true;
        }
        const now = Date.now();
        this.tokens = Math.min(limit.burst, this.tokens + (now - this.last) * limit.perSecond / 1000);
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
