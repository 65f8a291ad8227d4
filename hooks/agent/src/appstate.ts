// Whether the app is in front and whether a person is touching it: the analysis uses these
// to judge collection in the background and collection without any user action.
import { Describer } from "./hook.js";
import { JavaObject, runtimeClassName } from "./values.js";

/**
 * Activity.onResume / onPause, and the framework's performResume / performPause around
 * them (shared guard: one event per transition). params.state: "resumed" | "paused".
 */
const activityState: Describer = {
    after(call) {
        const activity = runtimeClassName(call.self);
        return { value: activity, data: { activity, state: call.params.state ?? null } };
    },
};

const ACTIONS: Record<number, string> = {
    0: "down", 1: "up", 2: "move", 3: "cancel", 4: "outside", 5: "pointer_down", 6: "pointer_up",
};

/**
 * Activity.dispatchTouchEvent(MotionEvent): read before dispatch, since the system recycles
 * the event object afterwards.
 */
const touch: Describer = {
    before(call) {
        const event = call.args[0] as JavaObject;
        if (event === null || event === undefined) {
            return null;
        }
        const code = Number(event.getActionMasked());
        return { action: ACTIONS[code] ?? String(code), x: Number(event.getX()), y: Number(event.getY()) };
    },
    after(call) {
        const touched = call.snapshot as { action: string; x: number; y: number } | null;
        if (touched === null || touched === undefined) {
            return null;
        }
        return {
            value: touched.action,
            data: { ...touched, activity: runtimeClassName(call.self), handled: call.ret === true },
        };
    },
};

/**
 * Activity.finish / finishAffinity / finishAndRemoveTask: the app closes a screen itself
 * (shared guard: finishAffinity calling finish is one event). params.how names the call; the
 * stack names the code that decided to leave.
 */
const appExit: Describer = {
    after(call) {
        const activity = runtimeClassName(call.self);
        return { value: activity, data: { activity, how: call.params.how ?? null } };
    },
};

export const describers: Record<string, Describer> = { activityState, touch, appExit };
