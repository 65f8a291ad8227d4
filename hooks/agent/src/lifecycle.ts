// The target's own end: its exit status, which the host cannot learn otherwise (Frida
// reaps a spawned process itself).
//
// On HotSpot, System.exit(n) goes through JVM_Halt(n); a main() that returns goes through
// DestroyJavaVM. Both run while the agent is fully alive, so their events reach the host.
// libc exit()/_exit() are watched too, for other runtimes: there the process would be gone
// before the message is delivered, so the exiting thread waits for the host's receipt.
import Java from "frida-java-bridge";

import { currentThreadName, emit } from "./emit.js";
import { Describer, hookCounters } from "./hook.js";
import { lateStats } from "./loaders.js";
import { inForkedChild, step, unseenVmCreation } from "./runtime.js";
import { framesOf } from "./stack.js";
import { text } from "./values.js";

const MAX_FRAMES = 32;

let reported = false;
/** Native threads on which an exception went uncaught. */
const threwOn = new Set<number>();

/** True if this call reported the end (the first one does). */
function reportExit(via: string, status: number | null): boolean {
    // A forked copy ending (an exec that failed) is not the process the agent watches.
    if (reported || inForkedChild()) {
        return false;
    }
    reported = true;
    const unseen = unseenVmCreation();
    if (unseen !== null) {
        step(unseen);
    }
    // The counters say how often each hook ran, including calls not reported (rate limit).
    emit("process_exit", { data: { status, via, hooks: hookCounters(), late_classes: { ...lateStats } } });
    return true;
}

/** The libc exit hooks: let go once the JVM has reported its own end (see watchJvmExit). */
const libcExitListeners: InvocationListener[] = [];

export function watchLibcExit(): string[] {
    const watched: string[] = [];
    for (const name of ["exit", "_exit"]) {
        const address = Module.findGlobalExportByName(name);
        if (address === null) {
            continue;
        }
        libcExitListeners.push(Interceptor.attach(address, {
            onEnter(args) {
                if (reportExit(name, args[0].toInt32())) {
                    // The runner answers at once; if it is gone the script unloads and this returns.
                    recv("exit-ack", () => undefined).wait();
                }
            },
        }));
        watched.push(name);
    }
    return watched;
}

function releaseLibcExit(): void {
    for (const listener of libcExitListeners.splice(0)) {
        listener.detach();
    }
}

/** Test knob: how long the exiting thread stalls after System.exit reported the end (a wedged exit). */
export const exitOptions = { stallMs: 0 };

/**
 * Once the end is reported the process is going away, and the bridge's releases of global
 * references are skipped (a leak that ends with the process). The bridge makes them from
 * the script's own thread when a wrapper is collected; on HotSpot such a JNI call made
 * after the VM has begun its exit safepoint never returns, and Frida's own exit handling,
 * which the VM thread enters by calling exit() inside that safepoint, waits for it: the
 * process never ended (seen in a stress run, both threads in a native stack dump).
 */
function stopReleasingGlobalRefs(): void {
    try {
        const env = Java.vm.tryGetEnv();
        if (env !== null) {
            (Object.getPrototypeOf(env) as { deleteGlobalRef: (ref: NativePointer) => void }).deleteGlobalRef = () => undefined;
        }
    } catch (e) {
        // No VM left to ask: nothing will be released either.
    }
}

/** Call once the VM exists: JVM_Halt and the VM's DestroyJavaVM entry. */
export function watchJvmExit(jvm: Module, vm: NativePointer): string[] {
    const watched: string[] = [];
    const halt = jvm.findExportByName("JVM_Halt");
    if (halt !== null) {
        Interceptor.attach(halt, {
            onEnter(args) {
                if (reportExit("JVM_Halt", args[0].toInt32())) {
                    // HotSpot's VM thread calls exit() inside the exit safepoint; a hook there
                    // would wait for the JS runtime, which a thread stopped at that safepoint
                    // may hold (seen once: the bridge releasing a global reference): the
                    // process never ended. The end is reported; the libc hooks are not needed.
                    releaseLibcExit();
                    stopReleasingGlobalRefs();
                    if (exitOptions.stallMs > 0) {
                        Thread.sleep(exitOptions.stallMs / 1000);
                    }
                }
            },
        });
        watched.push("JVM_Halt");
    }
    // JNIInvokeInterface slot 3: DestroyJavaVM, called by the launcher when main() returns,
    // from the thread that ran main(). The java launcher's documented exit code is then 1 if
    // main() threw, else 0.
    const destroy = vm.readPointer().add(3 * Process.pointerSize).readPointer();
    Interceptor.attach(destroy, {
        onEnter() {
            if (reportExit("DestroyJavaVM", threwOn.has(Process.getCurrentThreadId()) ? 1 : 0)) {
                releaseLibcExit();
                stopReleasingGlobalRefs();
            }
        },
    });
    watched.push("DestroyJavaVM");
    return watched;
}

/**
 * Thread.dispatchUncaughtException(Throwable): a thread dies of an exception (on Android,
 * the app crashes). Reported in `before`: Android's default handler
 * (RuntimeInit.KillApplicationHandler) ends with Process.killProcess(myPid()), a SIGKILL
 * inside the call, so an `after` never runs there. A message still queued when the process
 * dies is lost, so the crashing thread waits for the host's receipt (the runner answers each
 * such event at once; if the host is gone the script unloads and the wait returns). The
 * event carries the exception's own stack.
 */
const uncaughtException: Describer = {
    before(call) {
        threwOn.add(Process.getCurrentThreadId());
        const throwable = call.args[0] as Java.Wrapper | null;
        let value: string | null = null;
        let data: Record<string, unknown> = {};
        if (throwable !== null && throwable !== undefined) {
            value = text(throwable);
            data = { exception_class: String(throwable.getClass().getName()), frames: framesOf(throwable).slice(0, MAX_FRAMES) };
        }
        emit("uncaught_exception", {
            api: call.api,
            value,
            thread: currentThreadName(),
            data: { hook: call.spec.id, ...data, awaits_receipt: true },
        });
        recv("crash-ack", () => undefined).wait();
        return null;
    },
    after() {
        return null; // reported in before
    },
};

export const describers: Record<string, Describer> = { uncaughtException };
