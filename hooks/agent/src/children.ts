// Child processes of a JVM. HotSpot on Linux starts a child program through jspawnhelper:
// posix_spawn executes the helper, which moves its pipes into place, closes every other
// descriptor and executes the real program. The runner holds each exec (Frida child
// gating) and loads the agent; in the helper, Frida's own descriptors are low-numbered
// (3, 4) and would be closed or overwritten (dup2 onto fd 3) before the helper's exec,
// losing the exec that starts the child JVM. Here those calls leave Frida's descriptors
// alone; every other descriptor is handled as the helper asks.
//
// Cost of the workaround: the helper keeps its failure pipe on its inherited number
// instead of fd 3, so if executing the child program fails, the JDK sees the helper exit
// with status 255 rather than an IOException from ProcessBuilder.start().

const HELPERS = new Set(["jspawnhelper"]);

export function isLaunchHelper(): boolean {
    const main = Process.mainModule;
    return main !== null && HELPERS.has(main.name);
}

export function keepFridaDescriptors(): string[] {
    const guarded: string[] = [];
    const cloaked = (fd: number): boolean => fd >= 0 && Cloak.hasFileDescriptor(fd);
    const close = Module.findGlobalExportByName("close");
    if (close !== null) {
        const real = new NativeFunction(close, "int", ["int"]);
        Interceptor.replace(close, new NativeCallback(fd => (cloaked(fd) ? 0 : real(fd)), "int", ["int"]));
        guarded.push("close");
    }
    const dup2 = Module.findGlobalExportByName("dup2");
    if (dup2 !== null) {
        const real = new NativeFunction(dup2, "int", ["int", "int"]);
        Interceptor.replace(dup2, new NativeCallback((from, to) => (cloaked(to) ? to : real(from, to)), "int", ["int", "int"]));
        guarded.push("dup2");
    }
    const dup3 = Module.findGlobalExportByName("dup3");
    if (dup3 !== null) {
        const real = new NativeFunction(dup3, "int", ["int", "int", "int"]);
        Interceptor.replace(dup3, new NativeCallback((from, to, flags) => (cloaked(to) ? to : real(from, to, flags)),
            "int", ["int", "int", "int"]));
        guarded.push("dup3");
    }
    return guarded;
}
