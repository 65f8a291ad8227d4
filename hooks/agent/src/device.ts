// Sensors (camera, microphone and accounts use the shared describers in common.ts).
import { Describer } from "./hook.js";
import { JavaObject, runtimeClassName, text } from "./values.js";

/**
 * SensorManager.registerListener(listener, Sensor, rate[, latency][, handler]) and the
 * deprecated (SensorListener, int sensors[, rate]). Value: the sensor's name.
 */
const sensorListener: Describer = {
    after(call) {
        const listenerClass = runtimeClassName(call.args[0] as JavaObject);
        const second = call.args[1];
        if (typeof second === "number") {
            return { value: `sensors mask ${second}`, data: { sensors_mask: second, listener_class: listenerClass } };
        }
        const sensor = second as JavaObject;
        if (sensor === null || sensor === undefined) {
            return { value: null, data: { listener_class: listenerClass } };
        }
        const name = text(sensor.getName());
        return {
            value: name,
            data: {
                sensor_type: Number(sensor.getType()),
                sensor_name: name,
                rate_us: typeof call.args[2] === "number" ? call.args[2] : null,
                listener_class: listenerClass,
                registered: call.ret === true,
            },
        };
    },
};

export const describers: Record<string, Describer> = { sensorListener };
