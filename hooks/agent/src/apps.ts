// Installed and running apps (the installed_apps list is personal data in GB/T 41391).
import { ownPackage } from "./context.js";
import { Describer } from "./hook.js";
import { JavaObject, fieldPath, text } from "./values.js";

const MAX_NAMES = 200;

/**
 * A java.util.List of PackageInfo / ApplicationInfo / ResolveInfo. params.name_paths lists
 * the field chains that lead to a package name, tried in order, e.g.
 * [["packageName"]] or [["activityInfo", "packageName"], ["serviceInfo", "packageName"]].
 * Value: "<count> packages: a, b, c".
 */
const packageList: Describer = {
    after(call) {
        const list = call.ret as JavaObject;
        if (list === null || list === undefined) {
            return { value: null, data: { count: 0 } };
        }
        const paths = (call.params.name_paths ?? [["packageName"]]) as string[][];
        const count = Number(list.size());
        const names: string[] = [];
        for (let i = 0; i < Math.min(count, MAX_NAMES); i++) {
            const item = list.get(i) as JavaObject;
            for (const path of paths) {
                const name = fieldPath(item, path);
                if (name !== null) {
                    names.push(name);
                    break;
                }
            }
        }
        const flags = call.args.length > 0 ? text(call.args[call.args.length - 1]) : null;
        return {
            value: `${count} packages: ${names.join(", ")}`,
            data: { count, packages: names, truncated: count > names.length, flags },
        };
    },
};

/**
 * getPackageInfo / getApplicationInfo / getInstallerPackageName(package, ...): probing
 * whether one named app is installed. The app asking about itself is not reported.
 */
const probe: Describer = {
    after(call) {
        const name = text(call.args[0]);
        if (name === null || name === ownPackage()) {
            return null;
        }
        return { value: name, data: { package: name, probe: true, installed: call.error === undefined } };
    },
};

export const describers: Record<string, Describer> = { packageList, probe };
