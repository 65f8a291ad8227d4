// Device and subscriber identifiers: IMEI, MEID, IMSI, ICCID, phone number, Android ID, MAC.
import { Describer } from "./hook.js";
import { text } from "./values.js";

/** The getter's return value is the datum (TelephonyManager.getImei(), WifiInfo.getMacAddress()). */
const returnedValue: Describer = {
    after(call) {
        return { value: text(call.ret) };
    },
};

/**
 * Settings$Secure.getString(resolver, key): only some keys are personal data. params.keys
 * maps a settings key to its PII type; other keys are not reported (but still answered).
 */
const settingsKey: Describer = {
    after(call) {
        const key = text(call.args[1]);
        const types = (call.params.keys ?? {}) as Record<string, string>;
        if (key === null || !Object.prototype.hasOwnProperty.call(types, key)) {
            return null;
        }
        return { pii_type: types[key], value: text(call.ret), data: { key } };
    },
};

export const describers: Record<string, Describer> = { returnedValue, settingsKey };
