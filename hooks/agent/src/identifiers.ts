// Device and subscriber identifiers: IMEI, MEID, IMSI, ICCID, phone number, Android ID,
// advertising ID, OAID, MAC, Bluetooth, SSID/BSSID, serial.
import { Describer } from "./hook.js";
import { JavaObject, arrayItems, runtimeClassName, text } from "./values.js";

/**
 * The getter's return value is the datum (TelephonyManager.getImei(), WifiInfo.getMacAddress()).
 * params.access, when given, says what kind of access it is (e.g. "probe" for hasPrimaryClip).
 */
const returnedValue: Describer = {
    reportsEveryCall: true,
    after(call) {
        const access = call.params.access;
        return access === undefined ? { value: text(call.ret) } : { value: text(call.ret), data: { access } };
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

/** NetworkInterface.getHardwareAddress(): byte[] -> "aa:bb:cc:dd:ee:ff" (null for most apps on 30+). */
const hardwareAddress: Describer = {
    after(call) {
        const bytes = arrayItems(call.ret).map(b => (Number(b) & 0xFF).toString(16).padStart(2, "0"));
        return { value: bytes.length > 0 ? bytes.join(":") : null };
    },
};

/**
 * AdvertisingIdClient.getAdvertisingIdInfo(Context) (GMS, Huawei): the returned Info holds
 * the ID. Reading it here is the agent's own call, so the Info.getId hook stays silent.
 */
const advertisingIdInfo: Describer = {
    after(call) {
        const info = call.ret as JavaObject;
        if (info === null || info === undefined) {
            return { value: null };
        }
        let limited: boolean | null = null;
        try {
            limited = Boolean(info.isLimitAdTrackingEnabled());
        } catch (e) {
            limited = null;
        }
        return { value: text(info.getId()), data: { limit_ad_tracking: limited } };
    },
};

/**
 * A call that starts a read whose value arrives later (MdidSdkHelper.InitSdk with a
 * listener, an async ID client): the attempt is the datum; the listener's class names the receiver.
 */
const requested: Describer = {
    after(call) {
        const receivers = call.args.map(a => runtimeClassName(a)).filter(n => n !== null);
        return { value: null, data: { access: "request", receivers } };
    },
};

export const describers: Record<string, Describer> = {
    returnedValue, settingsKey, hardwareAddress, advertisingIdInfo, requested,
};
