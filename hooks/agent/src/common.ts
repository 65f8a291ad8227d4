// Describers shared by many rows: a call whose arguments are the datum (a camera opened,
// a sensor listener registered), and a returned list of items (accounts, Wi-Fi networks,
// running processes).
import { Describer } from "./hook.js";
import { JavaObject, argText, fieldPath } from "./values.js";

const MAX_ITEMS = 200;

/**
 * The call itself is what matters. data.args holds each argument as bounded text;
 * params.value_arg (an index) picks the argument that becomes the event's value.
 */
const call: Describer = {
    after(c) {
        const args = c.args.map(a => argText(a));
        const index = c.params.value_arg as number | undefined;
        const value = index !== undefined && index < args.length ? args[index] : null;
        return { value, data: { args } };
    },
};

/**
 * A java.util.List (or array) of records. params.name_paths lists field or getter chains
 * that lead to each item's name, tried in order (["SSID"], ["getPackageName()"]); without
 * them an item's toString() is used. params.noun names the items in the value:
 * "<count> <noun>: a, b, c".
 */
const items: Describer = {
    after(c) {
        const list = c.ret as JavaObject;
        const noun = String(c.params.noun ?? "items");
        if (list === null || list === undefined) {
            return { value: null, data: { count: 0, items: [], truncated: false } };
        }
        const elements = listElements(list);
        const paths = (c.params.name_paths ?? []) as string[][];
        const names: string[] = [];
        for (const item of elements.items) {
            let name: string | null = null;
            for (const path of paths) {
                name = fieldPath(item as JavaObject, path);
                if (name !== null) {
                    break;
                }
            }
            names.push(name ?? argText(item) ?? "");
        }
        return {
            value: `${elements.count} ${noun}: ${names.join(", ")}`,
            data: { count: elements.count, items: names, truncated: elements.count > names.length },
        };
    },
};

/** The first MAX_ITEMS elements of a List, or of a Java array, and the full count. */
export function listElements(list: NonNullable<JavaObject>): { count: number; items: unknown[] } {
    const out: unknown[] = [];
    if (typeof (list as { size?: unknown }).size === "function") {
        const count = Number(list.size());
        for (let i = 0; i < Math.min(count, MAX_ITEMS); i++) {
            out.push(list.get(i));
        }
        return { count, items: out };
    }
    const arr = list as unknown as { length: number; [i: number]: unknown };
    for (let i = 0; i < Math.min(arr.length, MAX_ITEMS); i++) {
        out.push(arr[i]);
    }
    return { count: arr.length, items: out };
}

export const describers: Record<string, Describer> = { call, items };
