// Consent-dialog timing: what was shown, what was tapped, what was stored.
//
// The analysis decides which moment is "consent"; the agent reports the raw facts with
// enough text to decide: the words of every dialog shown, the label of every tapped view,
// and writes of consent-like keys to SharedPreferences.
import Java from "frida-java-bridge";

import { Describer } from "./hook.js";
import { JavaObject, runtimeClassName, text, truncate } from "./values.js";

const MAX_VIEWS = 400;
const MAX_TEXT = 4000;
const CONSENT_WORDS = /隐私|个人信息|用户协议|服务协议|政策|同意|privacy|terms|consent|agree/i;

const DEFAULT_KEY_PATTERN = "privacy|agree|consent|protocol|policy|隐私|协议";
const keyPatterns = new Map<string, RegExp>();

function keyPattern(source: string): RegExp {
    let pattern = keyPatterns.get(source);
    if (pattern === undefined) {
        pattern = new RegExp(source, "i");
        keyPatterns.set(source, pattern);
    }
    return pattern;
}

let TextView: Java.Wrapper | null = null;
let ViewGroup: Java.Wrapper | null = null;

function viewClasses(): { TextView: Java.Wrapper; ViewGroup: Java.Wrapper } {
    if (TextView === null || ViewGroup === null) {
        TextView = Java.use("android.widget.TextView");
        ViewGroup = Java.use("android.view.ViewGroup");
    }
    return { TextView, ViewGroup };
}

/** Text of a view itself: a TextView's text, else its content description. */
function ownLabel(view: Java.Wrapper): string | null {
    const { TextView } = viewClasses();
    if (TextView.class.isInstance(view)) {
        const label = text(Java.cast(view, TextView).getText());
        if (label !== null && label !== "") {
            return label;
        }
    }
    const description = text(view.getContentDescription());
    return description === "" ? null : description;
}

/** Depth-first texts under `root`, in layout order. */
function textsUnder(root: JavaObject): string[] {
    const { ViewGroup } = viewClasses();
    const texts: string[] = [];
    const pending: Java.Wrapper[] = root ? [root] : [];
    let visited = 0;
    while (pending.length > 0 && visited < MAX_VIEWS) {
        const view = pending.shift()!;
        visited++;
        const label = ownLabel(view);
        if (label !== null) {
            texts.push(label);
        }
        if (ViewGroup.class.isInstance(view)) {
            const group = Java.cast(view, ViewGroup);
            const children: Java.Wrapper[] = [];
            const n = Number(group.getChildCount());
            for (let i = 0; i < n; i++) {
                children.push(group.getChildAt(i));
            }
            pending.unshift(...children);
        }
    }
    return texts;
}

/** Dialog.show(): after the original, the decor view holds the dialog's title, message and buttons. */
const dialogShown: Describer = {
    after(call) {
        const dialog = call.self!;
        const window = dialog.getWindow() as JavaObject;
        const texts = window ? textsUnder(window.getDecorView()) : [];
        const joined = texts.join("\n");
        return {
            value: truncate(joined, MAX_TEXT),
            data: {
                texts,
                dialog_class: runtimeClassName(dialog),
                consent_words: CONSENT_WORDS.test(joined),
            },
        };
    },
};

/** View.performClick(): the label is read before the click handler can change or dismiss the view. */
const click: Describer = {
    before(call) {
        const view = call.self!;
        let label = ownLabel(view);
        if (label === null) {
            label = textsUnder(view).join(" ") || null;
        }
        return { label, view_class: runtimeClassName(view) };
    },
    after(call) {
        const snapshot = (call.snapshot ?? {}) as { label?: string | null; view_class?: string | null };
        return {
            value: snapshot.label ?? null,
            data: { label: snapshot.label ?? null, view_class: snapshot.view_class ?? null, handled: call.ret === true },
        };
    },
};

/**
 * SharedPreferencesImpl$EditorImpl.put*(key, value) on keys matching params.key_pattern
 * (a case-insensitive regex). Other keys are not reported.
 */
const preferenceWrite: Describer = {
    after(call) {
        const key = text(call.args[0]);
        const pattern = keyPattern(String(call.params.key_pattern ?? DEFAULT_KEY_PATTERN));
        if (key === null || !pattern.test(key)) {
            return null;
        }
        const value = call.args.length > 1 ? text(call.args[1]) : null;
        return { value, data: { key, value, method: call.spec.method } };
    },
};

export const describers: Record<string, Describer> = { dialogShown, click, preferenceWrite };
