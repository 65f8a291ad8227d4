// Content providers: contacts, call log, SMS, calendar, media and the vendor OAID providers
// are all read through ContentResolver.query / ContentProviderClient.query. The URI's
// authority says which personal data it is (params.authorities: authority -> PII type);
// queries of other authorities are not reported.
import { Describer } from "./hook.js";
import { JavaObject, text, textArray, truncate } from "./values.js";

function classify(authority: string | null, table: Record<string, string>): string | null {
    if (authority === null) {
        return null;
    }
    // "com.android.contacts", but also "com.android.contacts;..." style multi-authorities.
    for (const part of authority.split(";")) {
        if (Object.prototype.hasOwnProperty.call(table, part)) {
            return table[part];
        }
    }
    return null;
}

/** query(Uri, String[] projection, ...): value = the URI; data.rows = the cursor's row count. */
const query: Describer = {
    after(call) {
        const uri = call.args[0] as JavaObject;
        if (uri === null || uri === undefined) {
            return null;
        }
        const authority = text(uri.getAuthority());
        const piiType = classify(authority, (call.params.authorities ?? {}) as Record<string, string>);
        if (piiType === null) {
            return null;
        }
        const cursor = call.ret as JavaObject;
        let rows: number | null = null;
        if (cursor !== null && cursor !== undefined) {
            try {
                rows = Number(cursor.getCount());
            } catch (e) {
                rows = null;
            }
        }
        const selection = typeof call.args[2] === "string" ? call.args[2] : null;
        return {
            pii_type: piiType,
            value: text(uri),
            data: {
                uri: text(uri),
                authority,
                projection: call.args[1] ? textArray(call.args[1]) : null,
                selection: truncate(selection, 500),
                rows,
            },
        };
    },
};

export const describers: Record<string, Describer> = { query };
