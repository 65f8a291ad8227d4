// Classes that are not there when the hooks are installed: SDKs shipped in a second dex or
// jar, loaded by their own class loader (MSA OAID, MMKV, packed apps), and the app's own
// implementations of SDK interfaces (IdSupplier.getOAID, IIdentifierListener.onSupport).
//
// How to see them appear:
// - HotSpot: every class a Java class loader defines passes ClassLoader.defineClass (the
//   protected final overloads that URLClassLoader, the app loader and custom loaders end
//   in). A final method is the safe hook there: an overridable one like loadClass(String) is
//   reached through vtables, and loader classes restored from the JDK's class-data archive
//   after the hook keep the archived vtable, so the hook would miss them;
// - ART: the result of every ClassLoader.loadClass(String) (explicit loads, reflection);
//   at install the existing loaders are tried (Java.enumerateClassLoaders);
// - both (the stand-in has a BaseDexClassLoader): each new BaseDexClassLoader, kept past its
//   constructor's hook (Java.retain): the pending classes are looked up through it, each
//   loaded and linked first (loaderCreated).
// Implementations of an interface are found by enumeration (Java.enumerateMethods) when
// the interface is known, and class by class as they load. Each late hook is reported as a
// coverage record with the time it became live.
//
// On ART most classes never pass a Java-level hook: PathClassLoader, DexClassLoader and
// InMemoryDexClassLoader resolve classes natively (ClassLinker::FindClass), and packers add
// dex files to an existing loader. Three more ways in, for that reason:
// - instantiation points: for a row on an abstract class (ClickableSpan.onClick), the
//   class's constructor is hooked; every instance built names its concrete class, which is
//   examined then (`via: implementation:instantiation`);
// - rescans after rows marked `rescan` (MdidSdkHelper.InitSdk, Dialog.show,
//   Activity.onResume): Java.enumerateMethods finds what loaded since;
// - DexPathList.addDexPath / makeDexElements (ART only): a dex added to a loader.
// Every class examined and found not to implement a row's type is remembered (the rejected
// cache), so no rescan examines it twice.
import Java from "frida-java-bridge";

import { emitCoverageWhenLive } from "./coverage.js";
import { Coverage, Describer, HookSpec, errorText, hookEveryOverload } from "./hook.js";
import { isArt, pinClassHandles } from "./runtime.js";
import { JavaObject, arrayItems, text } from "./values.js";

interface Row {
    spec: HookSpec;
    describer: Describer;
}

interface InterfaceRow extends Row {
    /** "<loader>/<class>" already hooked for this row. */
    done: Set<string>;
}

const FRAMEWORK = /^(java|javax|jdk|sun|com\.sun|android|dalvik|libcore|kotlin|kotlinx|org\.apache\.harmony)\./;

/** Class name -> rows waiting for it. */
const waiting = new Map<string, Row[]>();
const interfaceRows: InterfaceRow[] = [];
let watching = false;
/** "<row id>|<loader>/<class>" examined and found not to implement the row's type. */
const rejected = new Set<string>();
const MAX_REJECTED = 65536;

/** What the late-class machinery did (agent stats and process_exit). */
export const lateStats = {
    /** Classes examined against a row's type (each at most once per row and loader). */
    examined: 0,
    /** Of those, found not to implement it (the size of the rejected cache). */
    rejected: 0,
    /** Examinations the rejected cache saved. */
    rejected_hits: 0,
    /** Implementations hooked from an instance (the instantiation points). */
    from_instances: 0,
    rescans: 0,
};

/** Options from init(): watch_class_definitions false leaves HotSpot's defineClass alone (as ART's native loads are). */
export const loaderOptions = { watchClassDefinitions: true };

export function pendingCount(): number {
    return waiting.size + interfaceRows.length;
}

/** A third-party row whose class is not loadable yet. */
export function waitForClass(spec: HookSpec, describer: Describer): void {
    const name = spec.hook_on ?? spec.class;
    const rows = waiting.get(name) ?? [];
    rows.push({ spec, describer });
    waiting.set(name, rows);
}

/** A row on an interface: hook `method` on every class implementing it, now and later. */
export function watchImplementations(spec: HookSpec, describer: Describer): Coverage[] {
    const row: InterfaceRow = { spec, describer, done: new Set() };
    interfaceRows.push(row);
    try {
        Java.use(spec.class);
    } catch (e) {
        // Not loaded yet: implementations are recognised as they are defined.
        return [{ hook: spec.id, api: `${spec.class}.${spec.method}`, status: "class-missing", error: errorText(e), at_ms: Date.now() }];
    }
    const found = rescanRow(row, "install");
    if (found.length > 0) {
        return found;
    }
    return [{
        hook: spec.id, api: `${spec.class}.${spec.method}`, status: "class-missing", at_ms: Date.now(),
        error: `no class implementing ${spec.class} is loaded yet; each one is hooked as it loads`,
    }];
}

/** Looks for implementations loaded since; called by rows marked `rescan` after they ran. */
export function rescan(): void {
    lateStats.rescans++;
    const records: Coverage[] = [];
    for (const row of interfaceRows) {
        records.push(...rescanRow(row, "rescan"));
    }
    emitCoverageWhenLive(records);
}

function rescanRow(row: InterfaceRow, via: string): Coverage[] {
    const records: Coverage[] = [];
    let groups: Java.EnumerateMethodsMatchGroup[];
    try {
        groups = Java.enumerateMethods(`*!${row.spec.method}`);
    } catch (e) {
        return records;
    }
    for (const group of groups) {
        const factory = factoryFor(group.loader);
        for (const klass of group.classes) {
            const key = `${loaderKey(group.loader)}/${klass.name}`;
            if (FRAMEWORK.test(klass.name) || row.done.has(key)) {
                continue;
            }
            if (rejected.has(`${row.spec.id}|${key}`)) {
                lateStats.rejected_hits++;
                continue;
            }
            try {
                const candidate = factory.use(klass.name).class as Java.Wrapper;
                records.push(...hookImplementation(row, candidate, klass.name, group.loader, via));
            } catch (e) {
                // A class the loader cannot give back (being unloaded), or a failure while
                // examining it: reported, never silent (a silent one hid the bug asClass fixes).
                records.push({
                    hook: row.spec.id, api: `${klass.name}.${row.spec.method}`, status: "hook-failed",
                    error: errorText(e), at_ms: Date.now(), via: `implementation:${via}`,
                });
            }
        }
    }
    return records;
}

/**
 * `klass` as a java.lang.Class wrapper of the default factory. A wrapper from a factory bound
 * to a second loader converts an array result (getInterfaces()' Class[], getDeclaredMethods()'
 * Method[]) by asking that loader for the array class (frida-java-bridge lib/types.js:499,
 * `factory.use(internalTypeName)` in getArrayType), "[Ljava.lang.Class;", which a
 * URLClassLoader refuses (ClassNotFoundException): the class was counted as examined but
 * neither hooked nor rejected, and rescans examined it again.
 */
function asClass(klass: Java.Wrapper): Java.Wrapper {
    return Java.cast(klass, Java.use("java.lang.Class"));
}

/** Whether `klass` extends or implements a type named `wanted` (walked by name, no loading). */
function derivesFrom(klass: Java.Wrapper, wanted: string): boolean {
    const start = asClass(klass);
    const pending: Java.Wrapper[] = [start];
    let visited = 0;
    while (pending.length > 0 && visited < 64) {
        const current = pending.pop()!;
        visited++;
        if (current !== start && String(current.getName()) === wanted) {
            return true;
        }
        const parent = current.getSuperclass() as JavaObject;
        if (parent !== null && parent !== undefined) {
            pending.push(parent);
        }
        for (const iface of arrayItems(current.getInterfaces())) {
            pending.push(iface as Java.Wrapper);
        }
    }
    return false;
}

function factoryFor(loader: JavaObject): Java.ClassFactory {
    return pinClassHandles(Java.ClassFactory.get(loader ?? null));
}

function loaderName(loader: JavaObject): string | null {
    if (loader === null || loader === undefined) {
        return null;
    }
    try {
        return String(loader.getClass().getName());
    } catch (e) {
        return null;
    }
}

function loaderKey(loader: JavaObject): string {
    if (loader === null || loader === undefined) {
        return "boot";
    }
    try {
        return `${loader.getClass().getName()}@${Java.use("java.lang.System").identityHashCode(loader)}`;
    } catch (e) {
        return "unknown";
    }
}

function hookImplementation(row: InterfaceRow, klass: Java.Wrapper, name: string, loader: JavaObject, via: string): Coverage[] {
    if (FRAMEWORK.test(name) || name === row.spec.class) {
        return [];
    }
    const key = `${loaderKey(loader)}/${name}`;
    if (row.done.has(key)) {
        return [];
    }
    const rejectKey = `${row.spec.id}|${key}`;
    if (rejected.has(rejectKey)) {
        lateStats.rejected_hits++;
        return [];
    }
    lateStats.examined++;
    if (klass.isInterface() || !derivesFrom(klass, row.spec.class)) {
        if (rejected.size >= MAX_REJECTED) {
            rejected.clear();
        }
        rejected.add(rejectKey);
        lateStats.rejected = rejected.size;
        return [];
    }
    row.done.add(key);
    link(klass);
    return hookEveryOverload(row.spec, row.describer, {
        factory: factoryFor(loader),
        className: name,
        via: `implementation:${via}`,
        loader: loaderName(loader),
    });
}

/**
 * A class just defined is not linked yet: its methods have no vtable slots, and replacing
 * one then corrupts the VM. Reflection links it (without running its static initialiser).
 */
function link(klass: Java.Wrapper): void {
    asClass(klass).getDeclaredMethods();
}

/** A class just loaded (by `loader`): hook rows waiting for it and implementations of watched interfaces. */
function classLoaded(klass: Java.Wrapper, name: string): void {
    const loader = klass.getClassLoader() as JavaObject;
    const records: Coverage[] = [];
    const failed = (spec: HookSpec, e: unknown): Coverage =>
        ({ hook: spec.id, api: `${name}.${spec.method}`, status: "hook-failed", error: errorText(e), at_ms: Date.now(), via: "class-loaded" });
    const rows = waiting.get(name);
    if (rows !== undefined) {
        waiting.delete(name);
        for (const row of rows) {
            try {
                link(klass);
                const factory = factoryFor(loader);
                records.push(...hookEveryOverload(row.spec, row.describer, { factory, via: "class-loaded", loader: loaderName(loader) }));
            } catch (e) {
                records.push(failed(row.spec, e));
            }
        }
    }
    for (const row of interfaceRows) {
        try {
            records.push(...hookImplementation(row, klass, name, loader, "class-loaded"));
        } catch (e) {
            records.push(failed(row.spec, e));
        }
    }
    emitCoverageWhenLive(records);
}

/** A new class loader (ART): the waiting classes may be reachable through it. */
function loaderCreated(loader: Java.Wrapper): void {
    const records: Coverage[] = [];
    const factory = factoryFor(loader);
    const ClassClass = Java.use("java.lang.Class");
    for (const name of Array.from(waiting.keys())) {
        try {
            // Loaded and linked before the bridge sees it: use() on a class the loader has
            // not loaded yet loads it without linking it on HotSpot (the JVM backend's
            // ensureClassInitialized is empty, frida-java-bridge lib/jvm.js:429), and building
            // the wrapper of an unlinked class corrupted the JVM's heap (glibc:
            // "munmap_chunk(): invalid pointer"). forName(name, false, loader) runs no static
            // initialiser, as use() does not; on ART linking here is merely early.
            link(ClassClass.forName(name, false, loader) as Java.Wrapper);
        } catch (e) {
            continue; // Not reachable through this loader.
        }
        // Loading it may have hooked it already (HotSpot's defineClass watcher, classLoaded).
        const rows = waiting.get(name);
        if (rows === undefined) {
            continue;
        }
        let found = false;
        for (const row of rows) {
            const result = hookEveryOverload(row.spec, row.describer, { factory, via: "new-loader", loader: loaderName(loader) });
            if (result.some(c => c.status !== "class-missing")) {
                found = true;
                records.push(...result);
            }
        }
        if (found) {
            waiting.delete(name);
        }
    }
    emitCoverageWhenLive(records);
}

/** Cheap test first: most loaded classes concern no row. */
function worthALook(name: string): boolean {
    return waiting.has(name) || (interfaceRows.length > 0 && !FRAMEWORK.test(name));
}

const classLoadedWatcher: Describer = {
    after(call) {
        if (call.error !== undefined || call.ret === null || call.ret === undefined) {
            return null;
        }
        const klass = call.ret as Java.Wrapper;
        const name = text(call.args[0]) ?? text(klass.getName());
        if (name !== null && worthALook(name)) {
            classLoaded(klass, name);
        }
        return null;
    },
};

/**
 * Inside a hook `this` wraps the JNI argument of this one call: the bridge builds it from
 * jniArgs[1] without a reference of its own (frida-java-bridge lib/class-factory.js:1879,
 * `new C(jniArgs[1], STRATEGY_VIRTUAL, env, false)`), and ClassFactory.get keeps the
 * wrapper it is given as the factory's loader (class-factory.js:93, `factory.loader =
 * classLoader`), whose loadClass every later use() calls (class-factory.js:1289-1293). A
 * global reference (Java.retain: index.js:481 -> class-factory.js:295, `$clone`) keeps it
 * valid after the call; on ART a dead local reference there aborts the VM.
 */
function retainedLoader(self: Java.Wrapper): Java.Wrapper {
    return Java.retain(self);
}

const loaderCreatedWatcher: Describer = {
    after(call) {
        if (call.error === undefined && call.self !== null) {
            loaderCreated(retainedLoader(call.self));
        }
        return null;
    },
};

/** ClickableSpan.$init and the like: the new instance names its concrete class. */
function instantiationWatcher(row: InterfaceRow): Describer {
    return {
        after(call) {
            if (call.error !== undefined || call.self === null) {
                return null;
            }
            const klass = call.self.getClass() as Java.Wrapper;
            const name = String(klass.getName());
            if (FRAMEWORK.test(name) || name === row.spec.class) {
                return null;
            }
            const loader = klass.getClassLoader() as JavaObject;
            const records = hookImplementation(row, klass, name, loader, "instantiation");
            if (records.length > 0) {
                lateStats.from_instances++;
                emitCoverageWhenLive(records);
            }
            return null;
        },
    };
}

/**
 * Rows on an abstract class (not an interface: it has no constructor) get an instantiation
 * point: the class's constructor. Interfaces (MSA's IdSupplier) rely on the rescans.
 */
function watchInstantiations(): Coverage[] {
    const records: Coverage[] = [];
    for (const row of interfaceRows) {
        let abstractClass = false;
        try {
            abstractClass = !(Java.use(row.spec.class).class as Java.Wrapper).isInterface();
        } catch (e) {
            continue;
        }
        if (!abstractClass) {
            continue;
        }
        records.push(...hookEveryOverload({
            id: `${row.spec.id}.instances`, class: row.spec.class, method: "$init",
            kind: "class_loaded", describe: "", stack: false, reentrant: true,
        }, instantiationWatcher(row)));
    }
    return records;
}

/**
 * ART only (verified only on a device): a dex added to an existing loader. Both methods are
 * hidden members of libcore's dalvik.system.DexPathList; the bridge hooks hidden methods
 * like public ones (it reads ART's method table, lib/android.js), and a replacement's `this`
 * is borrowed, so the loader read from it is retained (retainedLoader above).
 * - addDexPath(String, File[, boolean]) (instance, API 24+): `definingContext` is the loader;
 * - makeDexElements / makePathElements (static, also called by packers through reflection
 *   before they splice the elements into `dexElements`): no loader to name, so every loader
 *   is tried a little later, once the splice is done.
 */
const dexPathAdded: Describer = {
    after(call) {
        if (call.error !== undefined || call.self === null) {
            return null;
        }
        const loader = (call.self as unknown as { definingContext: { value: JavaObject } }).definingContext.value;
        if (loader !== null && loader !== undefined) {
            loaderCreated(retainedLoader(loader as Java.Wrapper));
        }
        rescan();
        return null;
    },
};

let retryQueued = false;
const dexElementsMade: Describer = {
    after(call) {
        if (call.error !== undefined || retryQueued) {
            return null;
        }
        retryQueued = true;
        setTimeout(() => {
            retryQueued = false;
            Java.perform(() => {
                for (const loader of Java.enumerateClassLoadersSync()) {
                    loaderCreated(loader);
                }
                rescan();
            });
        }, 500);
        return null;
    },
};

/**
 * Installs the watchers once some row waits for a class. On ART the classes already in
 * other loaders (a packer's) are tried first.
 */
export function startWatching(): Coverage[] {
    if (watching || pendingCount() === 0) {
        return [];
    }
    watching = true;
    const records: Coverage[] = [];
    records.push(...watchInstantiations());
    // A new BaseDexClassLoader: on ART an Android class; on HotSpot the stand-in's.
    records.push(...hookEveryOverload({
        id: "runtime.class_loader_created", class: "dalvik.system.BaseDexClassLoader", method: "$init",
        kind: "class_loader", describe: "", stack: false,
    }, loaderCreatedWatcher).filter(c => c.status !== "class-missing"));
    if (isArt()) {
        for (const loader of Java.enumerateClassLoadersSync()) {
            loaderCreated(loader);
        }
        records.push(...hookEveryOverload({
            id: "runtime.dex_path_added", class: "dalvik.system.DexPathList", method: "addDexPath",
            kind: "class_loader", describe: "", stack: false,
        }, dexPathAdded));
        for (const method of ["makeDexElements", "makePathElements"]) {
            records.push(...hookEveryOverload({
                id: `runtime.dex_elements.${method}`, class: "dalvik.system.DexPathList", method,
                kind: "class_loader", describe: "", stack: false,
            }, dexElementsMade).filter(c => c.status !== "method-missing"));
        }
        records.push(...hookEveryOverload({
            id: "runtime.class_loaded", class: "java.lang.ClassLoader", method: "loadClass",
            overloads: [["java.lang.String"]], exact: true, kind: "class_loaded", describe: "",
            stack: false, reentrant: true,
        }, classLoadedWatcher));
        return records;
    }
    if (!loaderOptions.watchClassDefinitions) {
        return records;
    }
    records.push(...hookEveryOverload({
        id: "runtime.class_defined", class: "java.lang.ClassLoader", method: "defineClass",
        overloads: [
            ["java.lang.String", "byte[]", "int", "int", "java.security.ProtectionDomain"],
            ["java.lang.String", "java.nio.ByteBuffer", "java.security.ProtectionDomain"],
        ],
        exact: true, kind: "class_loaded", describe: "", stack: false, reentrant: true,
    }, classLoadedWatcher));
    return records;
}
