// The widespread naive hook pattern, as the hook-cost benchmark's baseline (never part of
// the agent): replace every overload of TelephonyManager.getImei, render
// Log.getStackTraceString(new Throwable()) and send() on every call. getImei() delegates
// to getImei(int), so each app call crosses both replacements and renders two stacks.
import Java from "frida-java-bridge";

Java.perform(() => {
    const Log = Java.use("android.util.Log");
    const Throwable = Java.use("java.lang.Throwable");
    const tm = Java.use("android.telephony.TelephonyManager");
    for (const overload of tm.getImei.overloads) {
        overload.implementation = function (this: Java.Wrapper, ...args: unknown[]): unknown {
            const value = overload.apply(this, args);
            const stack = Log.getStackTraceString(Throwable.$new());
            send({ api: "TelephonyManager.getImei", value, stack });
            return value;
        };
    }
    Java.use("com.example.demoshop.InstrumentationGate").ready.value = true;
});
