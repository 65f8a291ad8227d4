package com.example.demoshop;

import android.app.ActivityThread;
import android.app.Application;
import com.android.internal.standin.DeviceValues;
import android.content.Context;
import com.umeng.commonsdk.statistics.idtracking.IdTracker;
import java.io.IOException;
import java.io.InputStream;
import java.util.function.Function;

/**
 * Reads done inside an obfuscated helper (`a.a.a`, as R8 repackaging leaves a library): first
 * called by an SDK (Umeng: ANDROID_ID, then the microphone through a constructor), then by the
 * app itself (ANDROID_ID), then by Umeng code loaded through a class loader of its own named
 * "umeng-dex" (as an SDK shipped in its own dex file). Prints one line per read and "DONE".
 * Honours -Dstandin.gate.
 */
public final class RepackagedReads {
    private RepackagedReads() {}

    public static void main(String[] args) {
        InstrumentationGate.awaitIfRequested();
        Application app = ActivityThread.systemMain().bindApplication("com.example.demoshop", Application.class.getName());
        String expected = DeviceValues.get("android_id");
        check("sdk android_id", IdTracker.androidId(app), expected);
        System.out.println("READ sdk microphone state=" + IdTracker.probeMicrophone());
        check("app android_id", a.a.a.a(app), expected);
        check("dex-loaded sdk android_id", dexTask().apply(app), expected);
        System.out.println("DONE");
        // An attached agent's thread is a non-daemon Java thread: exit explicitly.
        System.exit(0);
    }

    @SuppressWarnings("unchecked")
    private static Function<Context, String> dexTask() {
        try {
            Class<?> task = new SdkDexLoader(RepackagedReads.class.getClassLoader())
                    .loadClass("com.umeng.commonsdk.statistics.idtracking.DexIdTask");
            return (Function<Context, String>) task.getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Defines one class itself (child first), everything else from its parent. */
    static final class SdkDexLoader extends ClassLoader {
        private static final String OWN = "com.umeng.commonsdk.statistics.idtracking.DexIdTask";

        SdkDexLoader(ClassLoader parent) {
            super("umeng-dex", parent);
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (!OWN.equals(name)) {
                return super.loadClass(name, resolve);
            }
            synchronized (getClassLoadingLock(name)) {
                Class<?> done = findLoadedClass(name);
                if (done != null) return done;
                try (InputStream in = getParent().getResourceAsStream(name.replace('.', '/') + ".class")) {
                    byte[] bytes = in.readAllBytes();
                    return defineClass(name, bytes, 0, bytes.length);
                } catch (IOException | NullPointerException e) {
                    throw new ClassNotFoundException(name, e);
                }
            }
        }
    }

    private static void check(String what, String got, String expected) {
        if (!expected.equals(got)) {
            Scenario.fail(Scenario.EXIT_VALUE_MISMATCH, "RepackagedReads: " + what + " was " + got + ", expected " + expected);
        }
        System.out.println("READ " + what);
    }
}
