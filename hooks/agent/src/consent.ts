// Consent-dialog timing: what was shown, what was tapped, what was stored.
//
// The analysis decides which moment is "consent"; the agent reports the raw facts with
// enough text to decide: the words of every dialog shown, the label of every tapped view,
// and writes of consent-like keys to SharedPreferences.
import Java from "frida-java-bridge";

import { Describer, Detail } from "./hook.js";
import { JavaObject, identity, runtimeClassName, text, truncate } from "./values.js";

const MAX_VIEWS = 400;
const MAX_TEXT = 4000;
const CONSENT_WORDS = /隐私|个人信息|用户协议|服务协议|政策|同意|privacy|terms|consent|agree/i;
const POLICY_WORDS = /privacy|policy|agreement|terms|protocol|隐私|协议|政策|条款/i;

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

/** What a consent surface showed: its texts in layout order, its class, whether it reads like a notice. */
function surfaceShown(surface: string, root: JavaObject, owner: JavaObject): Detail {
    const texts = root ? textsUnder(root) : [];
    const joined = texts.join("\n");
    return {
        value: truncate(joined, MAX_TEXT),
        data: {
            surface,
            texts,
            dialog_class: runtimeClassName(owner),
            consent_words: CONSENT_WORDS.test(joined),
        },
    };
}

/** Dialog.show(): after the original, the decor view holds the dialog's title, message and buttons. */
const dialogShown: Describer = {
    after(call) {
        const dialog = call.self!;
        const window = dialog.getWindow() as JavaObject;
        return surfaceShown("dialog", window ? window.getDecorView() : null, dialog);
    },
};

/** PopupWindow.showAtLocation / showAsDropDown: the texts of its content view. */
const popupShown: Describer = {
    after(call) {
        const popup = call.self!;
        return surfaceShown("popup", popup.getContentView() as JavaObject, popup);
    },
};

/**
 * WindowManagerImpl.addView(View, LayoutParams): any other window (an overlay-style consent
 * view, an activity's decor). Dialogs and popups add windows too; their own hooks report
 * those (shared guard), so this one only sees the rest.
 */
const windowAdded: Describer = {
    after(call) {
        const view = call.args[0] as JavaObject;
        return surfaceShown("window", view, view);
    },
};

/**
 * Toast.show(): what the toast says. A text toast (Toast.makeText) keeps its text in the hidden
 * field mText (API 30+, where getView() is null); a custom toast (setView) shows its view's texts.
 * `duration` is the toast's LENGTH_SHORT (0) / LENGTH_LONG (1) or its time in ms.
 */
const toastShown: Describer = {
    after(call) {
        const toast = call.self!;
        let texts: string[] = [];
        try {
            const own = text(toast.mText.value);
            if (own !== null && own !== "") {
                texts = [own];
            }
        } catch (e) {
            texts = [];  // no mText before API 30: the view holds the text
        }
        if (texts.length === 0) {
            texts = textsUnder(toast.getView() as JavaObject);
        }
        const joined = texts.join("\n");
        return {
            value: truncate(joined, MAX_TEXT),
            data: {
                surface: "toast",
                texts,
                duration: Number(toast.getDuration()),
                consent_words: CONSENT_WORDS.test(joined),
            },
        };
    },
};

/**
 * Dialog.dismiss/cancel, PopupWindow.dismiss, WindowManagerImpl.removeView: a surface
 * closed. params.surface names which; `how` is the method.
 */
const surfaceClosed: Describer = {
    after(call) {
        const owner = call.spec.method.startsWith("removeView") ? call.args[0] as JavaObject : call.self;
        return {
            value: call.spec.method,
            data: { surface: call.params.surface ?? null, how: call.spec.method, dialog_class: runtimeClassName(owner) },
        };
    },
};

/** AlertDialog.Builder.setPositiveButton / setNegativeButton(label or string id, listener). */
const dialogButton: Describer = {
    after(call) {
        const first = call.args[0];
        const label = typeof first === "number" ? null : text(first);
        return {
            value: label,
            data: {
                which: call.params.which ?? null,
                label,
                label_res: typeof first === "number" ? first : null,
            },
        };
    },
};

/** DialogFragment.show / showNow (AndroidX; may be renamed by R8): names the fragment class. */
const dialogFragment: Describer = {
    after(call) {
        const tag = call.args.length > 1 ? text(call.args[1]) : null;
        return { value: runtimeClassName(call.self), data: { fragment_class: runtimeClassName(call.self), tag } };
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
 * CompoundButton.setChecked(boolean): the "I have read and agree" box. A box checked before
 * any tap (was_checked false -> checked true with no click) is itself a finding.
 */
const checkbox: Describer = {
    before(call) {
        const view = call.self!;
        return { was: Boolean(view.isChecked()), label: ownLabel(view), view_class: runtimeClassName(view) };
    },
    after(call) {
        const snapshot = (call.snapshot ?? {}) as { was?: boolean; label?: string | null; view_class?: string | null };
        const checked = call.args[0] === true;
        return {
            value: snapshot.label ?? null,
            data: { checked, was_checked: snapshot.was ?? null, label: snapshot.label ?? null, view_class: snapshot.view_class ?? null },
        };
    },
};

/** URLSpan.onClick(View) and other ClickableSpans: a link in a notice's text was tapped. */
const linkClick: Describer = {
    after(call) {
        const span = call.self!;
        let url: string | null = null;
        try {
            url = text(span.getURL());
        } catch (e) {
            url = null;  // a ClickableSpan that is not a URLSpan has no URL
        }
        return { value: url, data: { url, span_class: runtimeClassName(span), policy_like: url !== null && POLICY_WORDS.test(url) } };
    },
};

/**
 * WebView.loadUrl(url[, headers]), loadData(data, mime, encoding),
 * loadDataWithBaseURL(base, data, mime, encoding, history), postUrl(url, body).
 */
const webviewLoad: Describer = {
    after(call) {
        const method = call.spec.method;
        let url: string | null = null;
        let baseUrl: string | null = null;
        let mimeType: string | null = null;
        let content: string | null = null;
        let dataLength: number | null = null;
        if (method === "loadUrl" || method === "postUrl") {
            url = text(call.args[0]);
            dataLength = method === "postUrl" && call.args[1] ? Number((call.args[1] as { length: number }).length) : null;
        } else if (method === "loadData") {
            content = text(call.args[0]);
            mimeType = text(call.args[1]);
        } else {
            baseUrl = text(call.args[0]);
            content = text(call.args[1]);
            mimeType = text(call.args[2]);
        }
        if (content !== null) {
            dataLength = content.length;
        }
        const probe = `${url ?? ""} ${baseUrl ?? ""} ${content !== null ? content.substring(0, MAX_TEXT) : ""}`;
        return {
            value: url ?? baseUrl ?? truncate(content, 200),
            data: {
                method,
                url,
                base_url: baseUrl,
                mime_type: mimeType,
                data_len: dataLength,
                policy_like: POLICY_WORDS.test(probe),
                webview_class: runtimeClassName(call.self),
            },
        };
    },
};

/** Editors (by identity) with consent-like keys written and not yet committed. */
const pendingKeys = new Map<number, string[]>();
const MAX_PENDING_EDITORS = 1024;

/**
 * SharedPreferencesImpl$EditorImpl.put*(key, value) / remove(key), MMKV.encode / put*(key,
 * value): writes of keys matching params.key_pattern (a case-insensitive regex). Other keys
 * are not reported. params.store: "shared_prefs" (default) or "mmkv".
 */
const preferenceWrite: Describer = {
    after(call) {
        const key = text(call.args[0]);
        const pattern = keyPattern(String(call.params.key_pattern ?? DEFAULT_KEY_PATTERN));
        if (key === null || !pattern.test(key)) {
            return null;
        }
        const value = call.args.length > 1 ? text(call.args[1]) : null;
        const store = String(call.params.store ?? "shared_prefs");
        if (store === "shared_prefs") {
            const editor = identity(call.self);
            if (editor !== null) {
                if (!pendingKeys.has(editor) && pendingKeys.size >= MAX_PENDING_EDITORS) {
                    pendingKeys.clear();  // editors dropped without commit: forget them
                }
                const keys = pendingKeys.get(editor) ?? [];
                keys.push(key);
                pendingKeys.set(editor, keys);
            }
        }
        return { value, data: { key, value, method: call.spec.method, store } };
    },
};

/**
 * EditorImpl.commit() / apply(): when the editor carries consent-like writes, the moment
 * they were stored. Commits of other editors are not reported.
 */
const preferenceCommit: Describer = {
    after(call) {
        const editor = identity(call.self);
        const keys = editor !== null ? pendingKeys.get(editor) : undefined;
        if (editor === null || keys === undefined) {
            return null;
        }
        pendingKeys.delete(editor);
        return {
            value: keys.join(","),
            data: { method: call.spec.method, keys, result: typeof call.ret === "boolean" ? call.ret : null },
        };
    },
};

export const describers: Record<string, Describer> = {
    dialogShown, popupShown, windowAdded, toastShown, surfaceClosed, dialogButton, dialogFragment, click,
    checkbox, linkClick, webviewLoad, preferenceWrite, preferenceCommit,
};
