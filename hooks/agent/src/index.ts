// piiaudit's Frida agent. The host loads it into the target while the target is still
// suspended, takes one clock sample with now(), sends the hook table with init(), resumes,
// then syncs clocks properly with now().
// Events: see emit.ts. Hook table rows: see hook.ts (HookSpec) and table.ts.
import Java from "frida-java-bridge";

import { isLaunchHelper, keepFridaDescriptors } from "./children.js";
import { appContext } from "./context.js";
import { emitCoverage } from "./coverage.js";
import { emit, sentCount } from "./emit.js";
import { fastPathStats, setFastPathEnabled } from "./fastpath.js";
import { Coverage, HookSpec, asAgent, errorText, hookCounters, rateLimit } from "./hook.js";
import { exitOptions, watchJvmExit, watchLibcExit } from "./lifecycle.js";
import { lateStats, loaderOptions, pendingCount } from "./loaders.js";
import { ArmState, ReadyPhase, hotSpotVm, isArt, javaVmPresent, keepForkedChildrenFromDisposing, pinClassHandles, whenJavaReady } from "./runtime.js";
import { stackOptions, stackStats } from "./stack.js";
import { describerNames, installTable } from "./table.js";
import { setTlsRate, tlsStats, watchTls } from "./tls.js";

const AGENT_PROTOCOL = 1;

interface AgentConfig {
    hooks: HookSpec[];
    stacks?: { enabled?: boolean; max_frames?: number };
    /** null: report every call (benchmarks); default 50/s with bursts of 200 per hook. */
    rate?: { per_second: number; burst: number } | null;
    /** "pkg.Class.field": a static boolean the agent sets to true once the hooks are live. */
    release_gate?: string | null;
    watch_exit?: boolean;
    /** false: a process without a Java VM (curl, python): only native hooks, ready at once. */
    java?: boolean;
    /** SSL_write/SSL_read plaintext (default on). */
    native_tls?: boolean;
    /** The app's package, where the runtime cannot tell (the JVM stand-in). */
    app_package?: string | null;
    /**
     * The stand-in's slow pre-resume step: init() first waits this long, as it does on a
     * device while the first ART hook scans libart's symbols (seconds on a cold start).
     * Lets the runner's start deadline and its spawn-to-resume record be exercised here.
     */
    standin_slow_init_ms?: number;
    /** Tests only: the thread calling System.exit stalls this long after reporting the end (a wedged exit). */
    standin_exit_stall_ms?: number;
    /** false: no HotSpot defineClass watcher (late classes found only as ART would find them). */
    watch_class_definitions?: boolean;
    /** false: every hooked call takes the bridge's path into JS (HotSpot's C dispatchers off; fastpath.ts). */
    fast_path?: boolean;
}

type Phase = "loaded" | ArmState | "ready";

let phase: Phase = "loaded";
let readyPhase: ReadyPhase | "native" | null = null;
let lastError: string | null = null;
let watchExit = true;

function fail(error: unknown, where: string): void {
    phase = "failed";
    lastError = errorText(error);
    emit("agent_error", { data: { error: lastError, where } });
}

function install(config: AgentConfig, at: ReadyPhase): void {
    readyPhase = at;
    const started = Date.now();
    keepForkedChildrenFromDisposing();
    pinClassHandles(Java.classFactory);
    const hotSpot = hotSpotVm();
    setFastPathEnabled(!isArt() && config.fast_path !== false);
    if (watchExit && hotSpot !== null) {
        try {
            watchJvmExit(hotSpot.module, hotSpot.vm);
        } catch (e) {
            // Not fatal: the run loses the exit status, not the hooks.
            emit("agent_error", { data: { error: errorText(e), where: "exit-watch" } });
        }
    }
    const coverage = asAgent(() => installTable(config.hooks));
    // On HotSpot the bridge applies method replacements in a tick queued by the first
    // replacement; this tick is queued after it, so it runs once every hook is live.
    Script.nextTick(() => {
        try {
            announceReady(config, coverage, started);
        } catch (e) {
            fail(e, "ready");
        }
    });
}

function announceReady(config: AgentConfig, coverage: Coverage[], started: number): void {
    const live = Date.now();
    emitCoverage(coverage, live);
    const gate = config.release_gate ? releaseGate(config.release_gate) : null;
    const count = (status: string): number => coverage.filter(c => c.status === status).length;
    phase = "ready";
    emit("hooks_ready", {
        data: {
            phase: readyPhase,
            runtime: isArt() ? "art" : "hotspot",
            hooked: count("hooked"),
            class_missing: count("class-missing"),
            method_missing: count("method-missing"),
            hook_failed: count("hook-failed"),
            waiting_for_classes: pendingCount(),
            install_ms: live - started,
            gate,
        },
    });
}

/** A process without Java: only the native hooks, which are live once init() returns. */
function announceNativeReady(started: number): void {
    readyPhase = "native";
    phase = "ready";
    emit("hooks_ready", {
        data: { phase: "native", runtime: "native", hooked: 0, class_missing: 0, method_missing: 0, hook_failed: 0,
                waiting_for_classes: 0, install_ms: Date.now() - started, gate: null },
    });
}

/** Fallback for targets that wait on a flag instead of being caught at VM creation. */
function releaseGate(target: string): string {
    const dot = target.lastIndexOf(".");
    const className = target.substring(0, dot);
    const field = target.substring(dot + 1);
    Java.performNow(() => {
        Java.use(className)[field].value = true;
    });
    return target;
}

function applyOptions(config: AgentConfig): void {
    if (config.stacks !== undefined) {
        stackOptions.enabled = config.stacks.enabled ?? true;
        stackOptions.maxFrames = config.stacks.max_frames ?? stackOptions.maxFrames;
    }
    if (config.rate === null) {
        rateLimit.value = null;
    } else if (config.rate !== undefined) {
        rateLimit.value = { perSecond: config.rate.per_second, burst: config.rate.burst };
    }
    if (config.rate === null) {
        setTlsRate(null);
    }
    appContext.configuredPackage = config.app_package ?? null;
    loaderOptions.watchClassDefinitions = config.watch_class_definitions !== false;
    exitOptions.stallMs = config.standin_exit_stall_ms ?? 0;
}

rpc.exports = {
    /** Device wall clock in ms, for the host's clock-offset estimate. */
    now(): number {
        return Date.now();
    },

    /** Never touches Java: safe before the VM exists (touching it early can break the bridge). */
    ping(): Record<string, unknown> {
        return {
            protocol: AGENT_PROTOCOL,
            pid: Process.id,
            platform: Process.platform,
            arch: Process.arch,
            frida: Frida.version,
            script_runtime: Script.runtime,
            phase,
            java_vm: javaVmPresent(),
            helper: isLaunchHelper(),
            describers: describerNames(),
        };
    },

    init(config: AgentConfig): Record<string, unknown> {
        if (phase !== "loaded") {
            throw new Error(`init() was already called (phase ${phase})`);
        }
        if (!config || !Array.isArray(config.hooks)) {
            throw new Error("init() needs a config with a hooks array");
        }
        if (typeof config.standin_slow_init_ms === "number" && config.standin_slow_init_ms > 0) {
            Thread.sleep(config.standin_slow_init_ms / 1000);
        }
        applyOptions(config);
        if (isLaunchHelper()) {
            // Only passing through to the program it executes (children.ts): nothing to record.
            phase = "ready";
            return { phase, helper: true, guarded: keepFridaDescriptors() };
        }
        watchExit = config.watch_exit !== false;
        const started = Date.now();
        const exitHooks = watchExit ? watchLibcExit() : [];
        let tls: string | null = null;
        if (config.native_tls !== false) {
            try {
                watchTls();
                tls = "watching";
            } catch (e) {
                tls = errorText(e);
                emit("agent_error", { data: { error: tls, where: "tls" } });
            }
        }
        if (config.java === false) {
            announceNativeReady(started);
            return { phase, exit_hooks: exitHooks, hooks: 0, tls };
        }
        const armed = whenJavaReady(at => install(config, at), e => fail(e, "install"));
        if (phase === "loaded") {
            phase = armed;
        }
        return { phase, exit_hooks: exitHooks, hooks: config.hooks.length, tls };
    },

    stats(): Record<string, unknown> {
        return {
            phase,
            ready_phase: readyPhase,
            error: lastError,
            sent: sentCount(),
            hooks: hookCounters(),
            stacks: stackStats(),
            fast_path: fastPathStats(),
            tls: tlsStats(),
            late_classes: { ...lateStats },
        };
    },
};
