// Coverage: for every hook point and overload, whether it is live in this process and since
// when, so a report can say which hooks were active on that device.
import { emit } from "./emit.js";
import { Coverage } from "./hook.js";

/** Install-time records; sent once the hooks are live (see index.ts). */
export function emitCoverage(records: Coverage[], liveAt: number): void {
    for (const c of records) {
        emit("coverage", {
            api: c.api,
            data: {
                hook_id: c.hook,
                signature: c.api,
                status: c.status,
                live_at_ms: c.status === "hooked" ? liveAt : null,
                error: c.error ?? null,
                set_at_ms: c.at_ms,
                via: c.via ?? "install",
                loader: c.loader ?? null,
            },
        });
    }
}

/**
 * Records of hooks placed later (a class that appeared with a new class loader). On
 * HotSpot the bridge applies replacements in a tick queued by the first of them; this tick
 * is queued after it, so it runs once they are live.
 */
export function emitCoverageWhenLive(records: Coverage[]): void {
    if (records.length === 0) {
        return;
    }
    Script.nextTick(() => emitCoverage(records, Date.now()));
}
