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

/** getPrimaryClipDescription(): what kind of content is there (label, MIME types), not the content. */
const clipDescription: Describer = {
    after(call) {
        const description = call.ret as JavaObject;
        if (description === null || description === undefined) {
            return { value: null, data: { mime_types: [] } };
        }
        const mimeTypes: string[] = [];
        const n = Number(description.getMimeTypeCount());
        for (let i = 0; i < n; i++) {
            mimeTypes.push(text(description.getMimeType(i)) ?? "");
        }
        return { value: text(description.getLabel()), data: { mime_types: mimeTypes } };
    },
};

export const describers: Record<string, Describer> = { primaryClip, clipDescription };
