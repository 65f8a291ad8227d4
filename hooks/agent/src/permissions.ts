// Runtime permission requests and the user's answers.
//
// The system permission dialog lives in another process (PermissionController), so the
// request hook gives the moment the dialog was asked for and the dispatch hook the answer.
import { Describer } from "./hook.js";
import { JavaObject, numberArray, textArray } from "./values.js";

const PERMISSION_GRANTED = 0;
const EXTRA_NAMES = "android.content.pm.extra.REQUEST_PERMISSIONS_NAMES";
const EXTRA_RESULTS = "android.content.pm.extra.REQUEST_PERMISSIONS_RESULTS";

/** Activity.requestPermissions(String[] permissions, int requestCode[, int deviceId]). */
const request: Describer = {
    after(call) {
        const permissions = textArray(call.args[0]);
        return {
            value: permissions.join(","),
            data: { permissions, request_code: Number(call.args[1]) },
        };
    },
};

/**
 * Activity.dispatchRequestPermissionsResult(int requestCode, Intent data): the framework's
 * own delivery of the answer, reached before any app override of onRequestPermissionsResult.
 */
const result: Describer = {
    after(call) {
        const intent = (call.args[1] ?? null) as JavaObject;
        const permissions = intent ? textArray(intent.getStringArrayExtra(EXTRA_NAMES)) : [];
        const results = intent ? numberArray(intent.getIntArrayExtra(EXTRA_RESULTS)) : [];
        const granted = permissions.filter((_, i) => results[i] === PERMISSION_GRANTED);
        const denied = permissions.filter((_, i) => results[i] !== undefined && results[i] !== PERMISSION_GRANTED);
        const answer = permissions.map((p, i) => `${p}=${results[i] === PERMISSION_GRANTED ? "granted" : "denied"}`);
        return {
            value: answer.join(","),
            data: { permissions, results, granted, denied, request_code: Number(call.args[0]), cancelled: intent === null },
        };
    },
};

export const describers: Record<string, Describer> = { request, result };
