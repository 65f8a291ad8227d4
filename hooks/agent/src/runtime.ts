// Getting the Java hooks in before the app runs its first instruction.
//
// ART (Android): the app process is forked from zygote, so the VM exists when the agent
// loads. Java.perform() defers the callback until the app's LoadedApk exists, which is
// before Application.attachBaseContext and before any ContentProvider or SDK init.
//
// HotSpot (the JVM stand-in, spawned as `java ...`): at load time libjvm is not even mapped
// and no JavaVM exists, so Java.available is false. We watch for libjvm to be loaded, hook
// JNI_CreateJavaVM and install the hooks in its onLeave: the VM is fully initialised but
// the launcher has not loaded the main class yet. The bridge applies HotSpot method
// replacements on the next tick, which runs on the same thread before onLeave returns to
// the launcher, so the hooks are live before main() starts.
import Java from "frida-java-bridge";

export type ReadyPhase = "attached" | "vm-created" | "app-ready";
export type ArmState = "installed" | "deferred-until-app" | "waiting-for-vm" | "failed";

const JVM_MODULE = /(^|\/)(lib)?jvm\.(so|dylib|dll)$/;
const JNI_OK = 0;

let art: boolean | null = null;
let vmAppeared = false;

export function isArt(): boolean {
    if (art === null) {
        art = Process.findModuleByName("libart.so") !== null;
    }
    return art;
}

export function javaVmPresent(): boolean {
    return vmAppeared;
}

/**
 * Calls `install` on a thread attached to the VM as soon as hooks can be placed and
 * before app code runs. Returns how it went about it.
 */
export function whenJavaReady(install: (phase: ReadyPhase) => void, fail: (error: unknown) => void): ArmState {
    const jvm = findJvmModule();
    if (jvm !== null && hotSpotVmExists(jvm)) {
        // Attaching to a running JVM: the RPC thread is the agent's JS thread.
        attachCurrentThreadAsDaemon(jvm);
        return runInstall(install, "attached", fail);
    }
    if (jvm === null && isArt()) {
        // ART: the VM exists from zygote on, so no libjvm will ever appear. A runtime the
        // bridge cannot use fails now, with one line, instead of waiting for one.
        const unsupported = artUnsupported();
        if (unsupported !== null) {
            fail(new Error(unsupported));
            return "failed";
        }
        return runInstall(install, "app-ready", fail);
    }
    watchForJvm(jvm, install, fail);
    return "waiting-for-vm";
}

/**
 * Why the bridge cannot use this ART, or null if it can. `Java.available` is false when the
 * bridge finds no libart (frida-java-bridge lib/android.js:129-135, _getApi returns null)
 * and throws the bridge's own error when libart is there but a symbol or an offset it needs
 * is not (index.js:57-76 keeps that error and rethrows it from `available`, index.js:105-107).
 * Verified only on a device.
 */
function artUnsupported(): string | null {
    let version = "unknown";
    try {
        version = String(Java.androidVersion);
    } catch (e) {
        // no version property readable: keep "unknown"
    }
    try {
        if (Java.available) {
            return null;
        }
        return `frida-java-bridge cannot use this Android runtime (Android ${version}): no usable libart`;
    } catch (e) {
        const reason = e instanceof Error ? e.message : String(e);
        return `frida-java-bridge does not support this Android runtime (Android ${version}): ${reason}`;
    }
}

/**
 * `install` with its exceptions turned into `fail` (an agent failure). Needed on ART, where
 * Java.perform runs the callback later or rethrows its exception on the next tick, which
 * would make it a script error (frida-java-bridge index.js:365-379: `Script.nextTick(() =>
 * { throw e; })`, or the pending-ops path that runs from a hook on handleBindApplication).
 */
export function guardedInstall(install: (phase: ReadyPhase) => void, phase: ReadyPhase,
                               fail: (error: unknown) => void): () => void {
    return () => {
        try {
            install(phase);
        } catch (e) {
            fail(e);
        }
    };
}

function runInstall(install: (phase: ReadyPhase) => void, phase: ReadyPhase, fail: (error: unknown) => void): ArmState {
    vmAppeared = true;
    try {
        if (!Java.available) {
            throw new Error("the Java bridge cannot use this VM");
        }
        if (isArt()) {
            Java.perform(guardedInstall(install, phase, fail));
            return "deferred-until-app";
        }
        keepBridgeThreadsDaemon();
        Java.performNow(guardedInstall(install, phase, fail));
        return "installed";
    } catch (e) {
        fail(e);
        return "failed";
    }
}

/**
 * A step of the wait for the VM, told to the host as it happens (not an event: nothing is
 * stored), so a target that ends before its hooks were ready says how far the agent got.
 */
export function step(name: string): void {
    send({ type: "start-step", step: name, t_dev_ms: Date.now() });
}

const vmWatch: { at: NativePointer | null; entered: boolean } = { at: null, entered: false };

/** At the end: whether the VM's creation was watched but never seen, and what its entry holds then. */
export function unseenVmCreation(): string | null {
    if (vmWatch.at === null || vmWatch.entered) {
        return null;
    }
    const bytes = new Uint8Array(vmWatch.at.readByteArray(8) ?? new ArrayBuffer(0));
    const hex = Array.from(bytes, b => b.toString(16).padStart(2, "0")).join(" ");
    return `JNI_CreateJavaVM never entered; its first bytes at the end: ${hex}`;
}

const PATCH_WAIT_MS = 2000;

/**
 * Holds the calling (launcher's) thread until the hook's jump is in `target`'s first bytes.
 * Interceptor.flush() does not always leave it there on return: seen in about 1 start in 100
 * under load, the jump was written some milliseconds later, after the launcher's new thread
 * had already entered JNI_CreateJavaVM unhooked (the whole program then ran without hooks).
 */
function awaitPatched(target: NativePointer, original: number): string {
    let waited = 0;
    while (target.readU8() === original && waited < PATCH_WAIT_MS) {
        Thread.sleep(0.001);
        waited++;
    }
    return target.readU8() === original ? `not patched after ${waited} ms` : `patched after ${waited} ms`;
}

/** Interceptor.attach, returning once the hook's jump is in `target`'s entry (awaitPatched). */
function attachNow(target: NativePointer, callbacks: InvocationListenerCallbacks): { listener: InvocationListener; patched: string } {
    const original = target.readU8();
    const listener = Interceptor.attach(target, callbacks);
    Interceptor.flush();
    return { listener, patched: awaitPatched(target, original) };
}

/**
 * Hooks JNI_CreateJavaVM once libjvm is mapped, before the launcher calls it.
 *
 * The launcher creates the VM on a thread it starts with pthread_create once dlopen has
 * returned (JDK launcher: LoadJavaVM, then ContinueInNewThread): the hook is placed there,
 * on the launcher's own thread, before the VM's thread exists, and that thread is held
 * until the hook's jump is written (awaitPatched). The module observer is the fallback
 * where there is no pthread_create to watch.
 */

function watchForJvm(loaded: Module | null, install: (phase: ReadyPhase) => void, fail: (error: unknown) => void): void {
    let armed = false;
    let threadStart: InvocationListener | null = null;
    let observer: ModuleObserver | null = null;
    const arm = (module: Module, via: string): void => {
        if (armed) {
            return;
        }
        armed = true;
        // Detach later: a listener must not remove itself from inside its callback.
        setTimeout(() => {
            threadStart?.detach();
            observer?.detach();
        }, 0);
        const createVm = module.findExportByName("JNI_CreateJavaVM");
        if (createVm === null) {
            fail(new Error(`${module.name} has no JNI_CreateJavaVM export`));
            return;
        }
        vmWatch.at = createVm;
        const { listener, patched } = attachNow(createVm, {
            onEnter() {
                vmWatch.entered = true;
                step("JNI_CreateJavaVM entered");
            },
            onLeave(retval) {
                const rc = retval.toInt32();
                // Detach later: a listener must not remove itself from inside its callback.
                setTimeout(() => listener.detach(), 0);
                if (rc !== JNI_OK) {
                    fail(new Error(`JNI_CreateJavaVM failed with ${rc}`));
                    return;
                }
                step("JNI_CreateJavaVM returned: installing the hooks");
                runInstall(install, "vm-created", fail);
            },
        });
        step(`${module.name} loaded: JNI_CreateJavaVM watched (armed ${via}; ${patched})`);
    };
    if (loaded !== null) {
        // libjvm is mapped but the launcher has not created the VM yet.
        arm(loaded, "at init");
        return;
    }
    const pthreadCreate = Module.findGlobalExportByName("pthread_create");
    if (pthreadCreate !== null) {
        // Written before the resume (this runs in init()): the launcher cannot start its thread unseen.
        threadStart = attachNow(pthreadCreate, {
            onEnter() {
                if (armed) {
                    return; // until the detach: no module walk per thread the VM starts
                }
                const jvm = findJvmModule();
                if (jvm !== null) {
                    arm(jvm, "by the launcher's pthread_create");
                }
            },
        }).listener;
    }
    if (threadStart === null) {
        observer = Process.attachModuleObserver({
            onAdded(module) {
                if (JVM_MODULE.test(module.path)) {
                    arm(module, "by the module observer");
                }
            },
        });
    }
}

/** libjvm and its JavaVM*, once the VM exists (HotSpot only). */
export function hotSpotVm(): { module: Module; vm: NativePointer } | null {
    const module = findJvmModule();
    if (module === null) {
        return null;
    }
    const vm = createdVm(module);
    return vm === null ? null : { module, vm };
}

function findJvmModule(): Module | null {
    for (const m of Process.enumerateModules()) {
        if (JVM_MODULE.test(m.path)) {
            return m;
        }
    }
    return null;
}

type JniFn = NativeFunction<number, [NativePointerValue, NativePointerValue, NativePointerValue]>;

function createdVm(jvm: Module): NativePointer | null {
    const getCreated = jvm.findExportByName("JNI_GetCreatedJavaVMs");
    if (getCreated === null) {
        return null;
    }
    const fn = new NativeFunction(getCreated, "int", ["pointer", "int", "pointer"]);
    const vmBuf = Memory.alloc(Process.pointerSize);
    const count = Memory.alloc(4);
    if (fn(vmBuf, 1, count) !== JNI_OK || count.readS32() === 0) {
        return null;
    }
    return vmBuf.readPointer();
}

function hotSpotVmExists(jvm: Module): boolean {
    return createdVm(jvm) !== null;
}

/** JNIInvokeInterface slot 7: AttachCurrentThreadAsDaemon(JavaVM*, void**, void*). */
function daemonAttacher(vm: NativePointer): JniFn {
    const slot = vm.readPointer().add(7 * Process.pointerSize).readPointer();
    return new NativeFunction(slot, "int", ["pointer", "pointer", "pointer"]);
}

/**
 * The bridge attaches its JS thread to the VM the first time it needs it there and never
 * detaches it. On HotSpot a non-daemon attached thread keeps DestroyJavaVM waiting forever,
 * so the app would never exit. Attach the JS thread as a daemon before the bridge does.
 */
function attachCurrentThreadAsDaemon(jvm: Module): void {
    const vm = createdVm(jvm);
    if (vm === null) {
        return;
    }
    const envBuf = Memory.alloc(Process.pointerSize);
    const rc = daemonAttacher(vm)(vm, envBuf, NULL);
    if (rc !== JNI_OK) {
        throw new Error(`AttachCurrentThreadAsDaemon failed with ${rc}`);
    }
}

/** Same reason: every later attach by the bridge (JS thread, timers, GC callbacks) is a daemon. */
function keepBridgeThreadsDaemon(): void {
    const vm = Java.vm as unknown as {
        handle: NativePointer;
        attachCurrentThread(): unknown;
        tryGetEnv(): unknown;
    };
    const attach = daemonAttacher(vm.handle);
    vm.attachCurrentThread = function () {
        const envBuf = Memory.alloc(Process.pointerSize);
        const rc = attach(vm.handle, envBuf, NULL);
        if (rc !== JNI_OK) {
            throw new Error(`AttachCurrentThreadAsDaemon failed with ${rc}`);
        }
        return vm.tryGetEnv();
    };
}

const PINNED_CLASS_HANDLES = 1 << 16;

/**
 * The bridge keeps only 10 JNI class handles per class factory and looks an evicted one up
 * again with FindClass. HotSpot resolves FindClass against the class loader of the Java
 * method on the stack, which inside a hook on a framework method (ClassLoader.defineClass) is
 * the boot loader: an app class is then "not found". Handles taken at install time, on the
 * launcher thread, are kept instead (one global reference per hooked class).
 */
export function pinClassHandles(factory: Java.ClassFactory): Java.ClassFactory {
    const handles = (factory as unknown as { _classHandles?: { capacity: number } })._classHandles;
    if (handles !== undefined && handles.capacity < PINNED_CLASS_HANDLES) {
        handles.capacity = PINNED_CLASS_HANDLES;
    }
    return factory;
}

let getpid: NativeFunction<number, []> | null = null;
let ownerPid = 0;

/** The process's real pid (Process.id keeps the parent's value in a forked copy of the agent). */
export function realPid(): number {
    getpid ??= new NativeFunction(Module.getGlobalExportByName("getpid"), "int", []);
    return getpid();
}

/** True in a child forked from the process the agent was loaded into. */
export function inForkedChild(): boolean {
    return ownerPid !== 0 && realPid() !== ownerPid;
}

/**
 * When the host follows children, Frida unloads the agent's copy in a forked child, and the
 * bridge then reverts every Java hook with a VM operation. A forked JVM has no VM thread, so
 * that would wait forever and the child would never execute its program. The child is a
 * copy about to exec, so there is nothing to revert: skip it there.
 */
export function keepForkedChildrenFromDisposing(): void {
    ownerPid = realPid();
    // Any JNI call in a forked JVM may wait forever on a VM lock held by a thread that no
    // longer exists there (the bridge releases its references when the agent's copy is
    // unloaded): in a forked child the bridge does nothing with the VM.
    const vm = Java.vm as unknown as { perform: (fn: (env: unknown) => unknown) => unknown };
    const perform = vm.perform;
    vm.perform = function (fn) {
        return inForkedChild() ? undefined : perform.call(vm, fn);
    };
    const runtime = Java as unknown as { _dispose?: () => void };
    const dispose = runtime._dispose;
    if (typeof dispose !== "function") {
        return;
    }
    runtime._dispose = function (this: unknown) {
        if (!inForkedChild()) {
            dispose.call(runtime);
        }
    };
}
