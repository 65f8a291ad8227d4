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

/** Sequence numbers order events within one millisecond; gaps are allowed (filtered calls). */
export function moment(): Moment {
    return { seq: nextSeq++, t_dev_ms: Date.now(), tid: Process.getCurrentThreadId() };
}

export function emit(kind: string, fields: EventFields = {}, at: Moment = moment()): void {
    send({
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
    });
    sent++;
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
