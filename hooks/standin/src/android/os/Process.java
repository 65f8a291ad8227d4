package android.os;

public class Process {
    /** The uid of the first installed app on user 0 (u0_a123): the stand-in app's identity. */
    private static final int APP_UID = 10123;
    public static final int FIRST_APPLICATION_UID = 10000;

    public Process() {}

    public static final int myPid() {
        return (int) ProcessHandle.current().pid();
    }

    public static final int myUid() {
        return APP_UID;
    }

    public static final int myTid() {
        return (int) Thread.currentThread().getId();
    }

    public static final void killProcess(int pid) {
        if (pid == myPid()) java.lang.System.exit(0);
    }
}
