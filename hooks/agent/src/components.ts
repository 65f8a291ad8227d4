// Launches of components: activities, services, bindings and broadcasts. Starting another
// app's component (associated start, 关联启动) or waking one's own in the background
// (self-start, 自启动) are judged by the analysis from these facts.
import { ownPackage } from "./context.js";
import { Describer } from "./hook.js";
import { JavaObject, text, truncate } from "./values.js";

const MAX_INTENT_TEXT = 300;

/** Vendor OAID services are reached by binding to them (research notes §5, vendor services). */
const OAID_SERVICES = [
    "com.uodis.opendevice.OPENIDS_SERVICE", "com.huawei.hwid", "com.coolpad.deviceidsupport",
    "com.zui.deviceidservice", "com.samsung.android.deviceidservice", "com.heytap.openid",
    "com.asus.msa", "com.mdid.msa", "com.google.android.gms.ads.identifier.service.START",
];

/**
 * ContextImpl.startActivity / startService / bindService / sendBroadcast and
 * Activity.startActivityForResult; the Intent is the first Intent argument (the hidden
 * startActivityForResult(String who, Intent, ...) that requestPermissions uses has it second).
 * params.launch: activity | service | bind | broadcast.
 */
const launch: Describer = {
    after(call) {
        const at = call.argTypes.indexOf("android.content.Intent");
        const intent = (at === -1 ? null : call.args[at]) as JavaObject;
        if (intent === null || intent === undefined) {
            return null;
        }
        const action = text(intent.getAction());
        const component = intent.getComponent() as JavaObject;
        const targetPackage = component ? text(component.getPackageName()) : text(intent.getPackage());
        const targetClass = component ? text(component.getClassName()) : null;
        const dataUri = text(intent.getDataString());
        const own = ownPackage();
        const described = `${action ?? ""} ${targetPackage ?? ""} ${targetClass ?? ""}`;
        return {
            value: targetClass ?? targetPackage ?? action ?? dataUri,
            data: {
                kind: call.params.launch ?? null,
                action,
                target_package: targetPackage,
                target_class: targetClass,
                data_uri: dataUri,
                implicit: component === null || component === undefined,
                other_app: targetPackage !== null && own !== null && targetPackage !== own,
                oaid_service: OAID_SERVICES.some(s => described.includes(s)),
                intent: truncate(text(intent), MAX_INTENT_TEXT),
            },
        };
    },
};

export const describers: Record<string, Describer> = { launch };
