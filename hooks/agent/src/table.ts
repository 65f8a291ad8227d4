// The hook table is data: the host sends it to init(). Each row names its describer as
// "<domain>.<name>", resolved here against the domain modules.
import { describers as apps } from "./apps.js";
import { describers as clipboard } from "./clipboard.js";
import { describers as consent } from "./consent.js";
import { Coverage, Describer, HookSpec, errorText, hookEveryOverload } from "./hook.js";
import { describers as identifiers } from "./identifiers.js";
import { describers as lifecycle } from "./lifecycle.js";
import { describers as location } from "./location.js";
import { describers as permissions } from "./permissions.js";

const domains: Record<string, Record<string, Describer>> = {
    apps, clipboard, consent, identifiers, lifecycle, location, permissions,
};

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
    for (const spec of specs) {
        const whole = `${spec.class}.${spec.method}`;
        const describer = describerFor(spec.describe);
        if (describer === null) {
            coverage.push({ hook: spec.id, api: whole, status: "hook-failed", error: `unknown describer ${spec.describe}`, at_ms: Date.now() });
            continue;
        }
        try {
            coverage.push(...hookEveryOverload(spec, describer));
        } catch (e) {
            coverage.push({ hook: spec.id, api: whole, status: "hook-failed", error: errorText(e), at_ms: Date.now() });
        }
    }
    return coverage;
}
