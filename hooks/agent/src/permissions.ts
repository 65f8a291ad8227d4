// Runtime permission requests, the user's answers, and the app's checks.
//
// The system permission dialog lives in another process (PermissionController), so the
// request hook gives the moment the dialog was asked for and the dispatch hook the answer.
import Java from "frida-java-bridge";

import { Describer, Detail } from "./hook.js";
import { JavaObject, numberArray, text, textArray } from "./values.js";

const PERMISSION_GRANTED = 0;
const EXTRA_NAMES = "android.content.pm.extra.REQUEST_PERMISSIONS_NAMES";
const EXTRA_RESULTS = "android.content.pm.extra.REQUEST_PERMISSIONS_RESULTS";

/** Activity / Fragment.requestPermissions(String[] permissions, int requestCode[, int deviceId]). */
const request: Describer = {
    after(call) {
        const permissions = textArray(call.args[0]);
        return {
            value: permissions.join(","),
            data: { permissions, request_code: Number(call.args[1]) },
        };
    },
};

function answer(requestCode: number, permissions: string[], results: number[], cancelled: boolean): Detail {
    const granted = permissions.filter((_, i) => results[i] === PERMISSION_GRANTED);
    const denied = permissions.filter((_, i) => results[i] !== undefined && results[i] !== PERMISSION_GRANTED);
    const text = permissions.map((p, i) => `${p}=${results[i] === PERMISSION_GRANTED ? "granted" : "denied"}`);
    return {
        value: text.join(","),
        data: { permissions, results, granted, denied, request_code: requestCode, cancelled },
    };
}

/**
 * Activity.dispatchRequestPermissionsResult(int requestCode, Intent data): the framework's
 * own delivery of the answer, reached before any app override of onRequestPermissionsResult.
 */
const result: Describer = {
    after(call) {
        const intent = (call.args[1] ?? null) as JavaObject;
        const permissions = intent ? textArray(intent.getStringArrayExtra(EXTRA_NAMES)) : [];
        const results = intent ? numberArray(intent.getIntArrayExtra(EXTRA_RESULTS)) : [];
        return answer(Number(call.args[0]), permissions, results, intent === null);
    },
};

/** onRequestPermissionsResult(int, String[], int[][, int]) reached without the dispatch hook. */
const resultArrays: Describer = {
    after(call) {
        const permissions = textArray(call.args[1]);
        return answer(Number(call.args[0]), permissions, numberArray(call.args[2]), permissions.length === 0);
    },
};

let myPid: number | null = null;

function ownPid(): number {
    if (myPid === null) {
        try {
            myPid = Number(Java.use("android.os.Process").myPid());
        } catch (e) {
            myPid = Process.id;
        }
    }
    return myPid;
}

/**
 * ContextImpl.checkSelfPermission(String) / checkPermission(String, pid, uid): the app
 * looking at what it may do. checkPermission for other processes is the framework's
 * business and not reported.
 */
const check: Describer = {
    after(call) {
        if (call.args.length >= 3 && Number(call.args[1]) !== ownPid()) {
            return null;
        }
        const permission = text(call.args[0]);
        const granted = call.ret === PERMISSION_GRANTED;
        return {
            value: `${permission}=${granted ? "granted" : "denied"}`,
            data: { permission, result: call.ret ?? null, granted },
        };
    },
};

/** Activity.shouldShowRequestPermissionRationale(String[, int]): true means the app may explain itself. */
const rationale: Describer = {
    after(call) {
        const permission = text(call.args[0]);
        return { value: permission, data: { permission, show_rationale: call.ret === true } };
    },
};

export const describers: Record<string, Describer> = { request, result, resultArrays, check, rationale };
