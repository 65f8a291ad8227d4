// Location: reads of a fix, requests for updates, reverse geocoding, and the catch-all on
// Location's own getters (fused-location fixes arrive from another process and pass no
// LocationManager hook; only their consumption shows).
import { Describer } from "./hook.js";
import { JavaObject, RecentSet, identity, runtimeClassName, text } from "./values.js";

/** Location objects already on record: reading their coordinates later is the same datum. */
const reported = new RecentSet<number>(4096);

function fix(location: NonNullable<JavaObject>): { lat: number; lng: number; provider: string | null } {
    return {
        lat: Number(location.getLatitude()),
        lng: Number(location.getLongitude()),
        provider: text(location.getProvider()),
    };
}

function remember(location: JavaObject): void {
    const key = identity(location);
    if (key !== null) {
        reported.add(key);
    }
}

/** LocationManager.getLastKnownLocation(provider): value "lat,lng". */
const lastKnownLocation: Describer = {
    after(call) {
        const provider = text(call.args[0]);
        const location = call.ret as JavaObject;
        if (location === null || location === undefined) {
            return { value: null, data: { provider } };
        }
        remember(location);
        const { lat, lng } = fix(location);
        return { value: `${lat},${lng}`, data: { provider, lat, lng } };
    },
};

/**
 * requestLocationUpdates / requestSingleUpdate / getCurrentLocation: the app asks for
 * fixes to be delivered later. Value: the provider (or "criteria").
 */
const request: Describer = {
    after(call) {
        const first = call.args[0];
        const provider = typeof first === "string" ? first : null;
        const numbers = call.args.filter(a => typeof a === "number") as number[];
        const receiver = call.args.length > 0 ? call.args[call.args.length - 1] as JavaObject : null;
        return {
            value: provider ?? "criteria",
            data: {
                access: "request",
                provider,
                min_time_ms: numbers.length > 0 ? numbers[0] : null,
                min_distance_m: numbers.length > 1 ? numbers[1] : null,
                receiver_class: receiver !== null && typeof receiver === "object" ? runtimeClassName(receiver) : null,
            },
        };
    },
};

/**
 * Location.getLatitude()/getLongitude() on a fix not seen before: one event per fix with
 * both coordinates, so a fix read through a LocationManager hook is not reported twice.
 */
const coordinates: Describer = {
    after(call) {
        const location = call.self;
        const key = identity(location);
        if (location === null || key === null || reported.has(key)) {
            return null;
        }
        reported.add(key);
        const { lat, lng, provider } = fix(location);
        return { value: `${lat},${lng}`, data: { access: "getter", provider, lat, lng } };
    },
};

/** Geocoder.getFromLocation(lat, lng, max[, listener]) and getFromLocationName(name, max, ...). */
const geocode: Describer = {
    after(call) {
        const results = call.ret as JavaObject;
        const count = results !== null && results !== undefined ? Number(results.size()) : null;
        if (typeof call.args[0] === "number") {
            const lat = call.args[0] as number;
            const lng = call.args[1] as number;
            return { value: `${lat},${lng}`, data: { access: "geocode", lat, lng, max_results: call.args[2], results: count } };
        }
        const query = text(call.args[0]);
        return { value: query, data: { access: "geocode", query, max_results: call.args[1], results: count } };
    },
};

export const describers: Record<string, Describer> = { lastKnownLocation, request, coordinates, geocode };
