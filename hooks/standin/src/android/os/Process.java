package android.os;

public class Process {
    /** The uid of the first installed app on user 0 (u0_a123): the stand-in app's identity. */
    private static final int APP_UID = 10123;
    public static final int FIRST_APPLICATION_UID = 10000;

    public Process() {}

    public static final int myPid() {
        return (int) ProcessHandle.current().pid();
    }

    /** -Dstandin.uid=<n> if given: each stand-in process carries its app's uid, as on a device. */
    public static final int myUid() {
        String uid = System.getProperty("standin.uid");
        if (uid != null) {
            try {
                return Integer.parseInt(uid.trim());
            } catch (NumberFormatException e) {
                // not a number: the default app uid
            }
        }
        return APP_UID;
    }

    public static final int myTid() {
        return (int) Thread.currentThread().getId();
    }

    /**
     * As on a device: SIGKILL, so the process ends at once, with no exit status and no
     * shutdown. The JVM will not raise SIGKILL on itself, so kill(1) sends it; if that cannot
     * run, the process halts with 137 (128 + SIGKILL).
     */
    public static final void killProcess(int pid) {
        try {
            new ProcessBuilder("kill", "-KILL", Integer.toString(pid)).inheritIO().start().waitFor();
        } catch (java.io.IOException e) {
            if (pid == myPid()) Runtime.getRuntime().halt(137);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (pid == myPid()) Runtime.getRuntime().halt(137);
    }
}
