// Clipboard reads.
import { Describer } from "./hook.js";
import { JavaObject, text } from "./values.js";

/** ClipboardManager.getPrimaryClip(): value = text of the first item. */
const primaryClip: Describer = {
    after(call) {
        const clip = call.ret as JavaObject;
        if (clip === null || clip === undefined) {
            return { value: null, data: { items: 0 } };
        }
        const items = Number(clip.getItemCount());
        const first = items > 0 ? text(clip.getItemAt(0).getText()) : null;
        return { value: first, data: { items } };
    },
};

export const describers: Record<string, Describer> = { primaryClip };
