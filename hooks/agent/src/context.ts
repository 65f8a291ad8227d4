// What the agent knows about the app it runs in: its package (to tell the app's own
// package apart from other apps in probes and component launches).
import Java from "frida-java-bridge";

export const appContext: { configuredPackage: string | null } = { configuredPackage: null };

let fromRuntime: string | null | undefined;

/** The app's package: ActivityThread.currentPackageName() where it exists, else the host's word. */
export function ownPackage(): string | null {
    if (fromRuntime === undefined || fromRuntime === null) {
        try {
            const name = Java.use("android.app.ActivityThread").currentPackageName();
            fromRuntime = name === null || name === undefined ? null : String(name);
        } catch (e) {
            fromRuntime = null;
        }
    }
    return fromRuntime ?? appContext.configuredPackage;
}
