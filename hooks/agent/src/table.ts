// The hook table is data: the host sends it to init(). Each row names its describer as
// "<domain>.<name>", resolved here against the domain modules.
import { describers as appstate } from "./appstate.js";
import { describers as apps } from "./apps.js";
import { describers as clipboard } from "./clipboard.js";
import { describers as common } from "./common.js";
import { describers as components } from "./components.js";
import { describers as consent } from "./consent.js";
import { describers as conscrypt } from "./conscrypt.js";
import { describers as content } from "./content.js";
import { describers as crypto, quietZones } from "./crypto.js";
import { describers as device } from "./device.js";
import { Coverage, Describer, HookSpec, errorText, hookEveryOverload, rescanHook } from "./hook.js";
import { describers as identifiers } from "./identifiers.js";
import { describers as lifecycle } from "./lifecycle.js";
import { rescan, startWatching, waitForClass, watchImplementations } from "./loaders.js";
import { describers as location } from "./location.js";
import { isArt } from "./runtime.js";
import { describers as permissions } from "./permissions.js";

const domains: Record<string, Record<string, Describer>> = {
    appstate, apps, clipboard, common, components, conscrypt, consent, content, crypto, device, identifiers, lifecycle,
    location, permissions,
};

const SILENT: Describer = { after: () => null };

export function describerNames(): string[] {
    return Object.entries(domains).flatMap(([domain, table]) => Object.keys(table).map(name => `${domain}.${name}`));
}

function describerFor(name: string): Describer | null {
    const dot = name.indexOf(".");
    if (dot === -1) {
        return null;
    }
    const table = domains[name.substring(0, dot)];
    return table?.[name.substring(dot + 1)] ?? null;
}

/** Installs every row; a row that cannot be installed becomes a coverage record, never an exception. */
export function installTable(specs: HookSpec[]): Coverage[] {
    const coverage: Coverage[] = [];
    rescanHook.run = rescan;
    for (const spec of specs) {
        const whole = `${spec.hook_on ?? spec.class}.${spec.method}`;
        const describer = describerFor(spec.describe);
        if (describer === null) {
            coverage.push({ hook: spec.id, api: whole, status: "hook-failed", error: `unknown describer ${spec.describe}`, at_ms: Date.now() });
            continue;
        }
        try {
            coverage.push(...installRow(spec, describer));
        } catch (e) {
            coverage.push({ hook: spec.id, api: whole, status: "hook-failed", error: errorText(e), at_ms: Date.now() });
        }
    }
    if (specs.some(s => s.describe.startsWith("crypto."))) {
        for (const zone of quietZones(isArt())) {
            // A class absent on this runtime (JSSE on Android) has nothing to silence.
            coverage.push(...hookEveryOverload(zone, SILENT).filter(c => c.status !== "class-missing"));
        }
    }
    coverage.push(...startWatching());
    return coverage;
}

function installRow(spec: HookSpec, describer: Describer): Coverage[] {
    if (spec.implementations === true) {
        return watchImplementations(spec, describer);
    }
    const result = hookEveryOverload(spec, describer);
    if (spec.visibility === "third-party" && result.length === 1 && result[0].status === "class-missing") {
        // An SDK class may come later with its own class loader.
        waitForClass(spec, describer);
    }
    return result;
}
