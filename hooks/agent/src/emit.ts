// Every message the agent sends goes through here, so all events share one shape:
// { type: "event", kind, api, pii_type, value, seq, t_dev_ms, tid, thread, stack_id, stack, stack_origins, data }.
import Java from "frida-java-bridge";

export type Data = Record<string, unknown>;

/** When and where something happened: taken at the start of a call, sent when it is described. */
export interface Moment {
    seq: number;
    t_dev_ms: number;
    tid: number;
}

export interface EventFields {
    api?: string | null;
    pii_type?: string | null;
    value?: string | null;
    thread?: string | null;
    stack_id?: number | null;
    stack?: string[] | null;
    /** Origin of each frame of `stack` (dex file, class loader), sent with it. */
    stack_origins?: string[] | null;
    data?: Data;
}

let nextSeq = 1;
let sent = 0;
const threadNames = new Map<number, string | null>();

/**
 * Where sequence numbers come from: this counter, or once HotSpot's C dispatchers exist, the
 * one they share with it (fastpath.ts takes a number at the start of a call it reports).
 */
export const sequence: { take: () => number } = { take: () => nextSeq++ };

/** Sequence numbers order events within one millisecond; gaps are allowed (filtered calls). */
export function moment(): Moment {
    return { seq: sequence.take(), t_dev_ms: Date.now(), tid: Process.getCurrentThreadId() };
}

/**
 * Kinds sent at once (after everything queued before them): the host waits for some of them
 * (ready, exit, a crash), and errors must not sit in a queue.
 */
const IMMEDIATE = new Set(["hooks_ready", "process_exit", "uncaught_exception", "agent_error"]);
/** Hooked-call events go out in batches: one send() (and one message) per batch, not per event. */
const BATCH_EVENTS = 64;
const BATCH_MS = 20;
let queue: unknown[] = [];
let flushPending = false;

export function emit(kind: string, fields: EventFields = {}, at: Moment = moment()): void {
    const event = {
        type: "event",
        kind,
        api: fields.api ?? null,
        pii_type: fields.pii_type ?? null,
        value: fields.value ?? null,
        seq: at.seq,
        t_dev_ms: at.t_dev_ms,
        tid: at.tid,
        thread: fields.thread ?? null,
        stack_id: fields.stack_id ?? null,
        stack: fields.stack ?? null,
        stack_origins: fields.stack_origins ?? null,
        data: fields.data ?? {},
    };
    sent++;
    if (IMMEDIATE.has(kind)) {
        flushEvents();
        send(event);
        return;
    }
    queue.push(event);
    if (queue.length >= BATCH_EVENTS) {
        flushEvents();
    } else if (!flushPending) {
        flushPending = true;
        setTimeout(flushEvents, BATCH_MS);
    }
}

/** Sends the queued events now, in order, as one message. */
export function flushEvents(): void {
    flushPending = false;
    if (queue.length === 0) {
        return;
    }
    const events = queue;
    queue = [];
    send({ type: "events", events });
}

export function sentCount(): number {
    return sent;
}

/**
 * Java name of the calling thread, cached per native tid (one JNI call per thread).
 * Only call it from a thread that runs Java code, i.e. inside a hook.
 */
export function currentThreadName(): string | null {
    const tid = Process.getCurrentThreadId();
    const cached = threadNames.get(tid);
    if (cached !== undefined) {
        return cached;
    }
    let name: string | null;
    try {
        name = String(Java.use("java.lang.Thread").currentThread().getName());
    } catch (e) {
        name = null;
    }
    threadNames.set(tid, name);
    return name;
}
