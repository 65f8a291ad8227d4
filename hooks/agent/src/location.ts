// Location reads.
import { Describer } from "./hook.js";
import { JavaObject, text } from "./values.js";

/** LocationManager.getLastKnownLocation(provider): value "lat,lng". */
const lastKnownLocation: Describer = {
    after(call) {
        const provider = text(call.args[0]);
        const location = call.ret as JavaObject;
        if (location === null || location === undefined) {
            return { value: null, data: { provider } };
        }
        const lat = Number(location.getLatitude());
        const lng = Number(location.getLongitude());
        return { value: `${lat},${lng}`, data: { provider, lat, lng } };
    },
};

export const describers: Record<string, Describer> = { lastKnownLocation };
