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
// - ART: the result of every ClassLoader.loadClass(String) (explicit loads, reflection), and
//   each new BaseDexClassLoader: the pending classes are looked up through it; at install
//   the existing loaders are tried (Java.enumerateClassLoaders).
// Implementations of an interface are found by enumeration (Java.enumerateMethods) when
// the interface is known, and class by class as they load. Each late hook is reported as a
// coverage record with the time it became live.
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
            if (FRAMEWORK.test(klass.name) || row.done.has(`${loaderKey(group.loader)}/${klass.name}`)) {
                continue;
            }
            try {
                const candidate = factory.use(klass.name).class as Java.Wrapper;
                records.push(...hookImplementation(row, candidate, klass.name, group.loader, via));
            } catch (e) {
                // A class the loader cannot give back (being unloaded): nothing to hook.
            }
        }
    }
    return records;
}

/** Whether `klass` extends or implements a type named `wanted` (walked by name, no loading). */
function derivesFrom(klass: Java.Wrapper, wanted: string): boolean {
    const pending: Java.Wrapper[] = [klass];
    let visited = 0;
    while (pending.length > 0 && visited < 64) {
        const current = pending.pop()!;
        visited++;
        if (current !== klass && String(current.getName()) === wanted) {
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
    if (klass.isInterface() || !derivesFrom(klass, row.spec.class)) {
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
    klass.getDeclaredMethods();
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
    for (const [name, rows] of Array.from(waiting.entries())) {
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

const loaderCreatedWatcher: Describer = {
    after(call) {
        if (call.error === undefined && call.self !== null) {
            loaderCreated(call.self);
        }
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
    if (isArt()) {
        for (const loader of Java.enumerateClassLoadersSync()) {
            loaderCreated(loader);
        }
        records.push(...hookEveryOverload({
            id: "runtime.class_loader_created", class: "dalvik.system.BaseDexClassLoader", method: "$init",
            kind: "class_loader", describe: "", stack: false,
        }, loaderCreatedWatcher));
        records.push(...hookEveryOverload({
            id: "runtime.class_loaded", class: "java.lang.ClassLoader", method: "loadClass",
            overloads: [["java.lang.String"]], exact: true, kind: "class_loaded", describe: "",
            stack: false, reentrant: true,
        }, classLoadedWatcher));
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
