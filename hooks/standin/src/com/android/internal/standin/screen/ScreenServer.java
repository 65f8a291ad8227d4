package com.android.internal.standin.screen;

import android.os.Looper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The stand-in's screen on loopback, for the adb double's "standin" screen provider
 * (hooks/standin/adb/screen_standin.py). Started by {@code -Dstandin.screen=PORTFILE}: listens
 * on 127.0.0.1, port 0, and writes the port number to PORTFILE (a temporary file renamed into
 * place, so a reader never sees half a number). One JSON object per line each way, on one
 * connection or many:
 *
 * <pre>
 * {"op":"dump"}                     -> {"xml": "&lt;?xml ...&gt;&lt;hierarchy ...&gt;"}   (no window: {"error": ...})
 * {"op":"tap","x":X,"y":Y}          -> {"hit": "android.widget.Button 同意"} or {"hit": null}
 * {"op":"key","code":4}             -> {"took": "dialog cancelled"} or {"took": null}
 * {"op":"swipe","x1":..,"y1":..,"x2":..,"y2":..,"ms":..} -> {"scrolled": false}
 * {"op":"text","text":"..."}        -> {"typed": false}
 * {"op":"screencap"}                -> {"png": "&lt;base64&gt;"}
 * anything that fails               -> {"error": "..."}
 * </pre>
 *
 * Taps and keys run on the app's main thread, in arrival order (posted to its looper, as
 * Android's input dispatcher delivers to the UI thread). The answer waits up to
 * {@link #MAIN_THREAD_WAIT_MS} for the main thread to take the event; when the main thread is
 * busy the event stays queued and the answer says {"queued": true} with what the tap would hit.
 * Dumps and screenshots are read on the server's own thread, as uiautomator and screencap read
 * a device's screen without waiting for the app.
 */
public final class ScreenServer {
    public static final String PROPERTY = "standin.screen";
    static final long MAIN_THREAD_WAIT_MS = 3000;

    private static ServerSocket sServer;

    private ScreenServer() {}

    /** Starts the server when -Dstandin.screen is set (once per process); the main looper must exist. */
    public static synchronized void startIfRequested() {
        String portFile = System.getProperty(PROPERTY);
        if (portFile == null || portFile.isBlank() || sServer != null) return;
        try {
            ServerSocket server = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
            sServer = server;
            Path target = Paths.get(portFile);
            Path dir = target.toAbsolutePath().getParent();
            if (dir != null) Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, ".standin-screen-", ".tmp");
            Files.writeString(tmp, server.getLocalPort() + "\n", StandardCharsets.US_ASCII);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            Thread t = new Thread(() -> acceptLoop(server), "standin-screen");
            t.setDaemon(true);
            t.start();
        } catch (IOException e) {
            System.err.println("standin: -D" + PROPERTY + "=" + portFile + ": cannot serve the screen: " + e);
            System.exit(2);
        }
    }

    private static void acceptLoop(ServerSocket server) {
        while (true) {
            try {
                Socket s = server.accept();
                Thread t = new Thread(() -> serve(s), "standin-screen-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private static void serve(Socket s) {
        try (s; BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8))) {
            OutputStream out = s.getOutputStream();
            String line;
            while ((line = in.readLine()) != null) {
                if (line.isBlank()) continue;
                String answer;
                try {
                    answer = handle(Json.parseObject(line));
                } catch (RuntimeException | IOException e) {
                    answer = "{\"error\": " + Json.quote(e.getMessage() != null ? e.getMessage() : e.toString()) + "}";
                }
                out.write((answer + "\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
        } catch (IOException e) {
            // the client went away
        }
    }

    static String handle(Map<String, Object> req) throws IOException {
        Object op = req.get("op");
        if (!(op instanceof String)) throw new IllegalArgumentException("no \"op\" in the request");
        switch ((String) op) {
            case "dump": {
                String xml = readScreen(UiDump::dump);
                if (xml == null) return "{\"error\": \"ERROR: null root node returned by UiTestAutomationBridge.\"}";
                return "{\"xml\": " + Json.quote(xml) + "}";
            }
            case "tap": {
                int x = num(req, "x"), y = num(req, "y");
                if (x < 0 || y < 0 || x >= ScreenLayout.WIDTH || y >= ScreenLayout.HEIGHT) {
                    throw new IllegalArgumentException("tap at " + x + "," + y + " is off the " + ScreenLayout.WIDTH + "x" + ScreenLayout.HEIGHT + " screen");
                }
                return onMain("hit", () -> Screen.tap(x, y), () -> Screen.peek(x, y));
            }
            case "key": {
                int code = num(req, "code");
                return onMain("took", () -> Screen.key(code), () -> null);
            }
            case "swipe": {
                for (String k : new String[] {"x1", "y1", "x2", "y2"}) num(req, k);
                // No view of the stand-in scrolls: a swipe moves nothing, as on a screen without scrollables.
                return "{\"scrolled\": false}";
            }
            case "text": {
                if (!(req.get("text") instanceof String)) throw new IllegalArgumentException("text: no \"text\" string");
                // No editable field exists in the stand-in: typed text goes nowhere, as with no focused field.
                return "{\"typed\": false}";
            }
            case "screencap":
                return "{\"png\": \"" + base64(readScreen(() -> {
                    try {
                        return ScreenRender.png();
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                })) + "\"}";
            default:
                throw new IllegalArgumentException("unknown op " + op + " (dump, tap, key, swipe, text, screencap)");
        }
    }

    /**
     * Reads the screen off the main thread. The app may change a view tree while it is read
     * (a window added, a child removed); such a read is tried again, up to three times.
     */
    private static <T> T readScreen(java.util.function.Supplier<T> read) {
        RuntimeException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            try {
                return read.get();
            } catch (java.util.ConcurrentModificationException | IndexOutOfBoundsException | NullPointerException e) {
                last = e;
                try {
                    Thread.sleep(20);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        throw new IllegalStateException("the screen kept changing while it was read: " + last);
    }

    private static final char[] B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".toCharArray();

    /**
     * Standard base64 with padding. Written out rather than java.util.Base64, which the agent
     * hooks as an encoding of data: the screen is the system's, not something the app encodes,
     * and on a device screencap runs in another process.
     */
    static String base64(byte[] data) {
        StringBuilder sb = new StringBuilder((data.length + 2) / 3 * 4);
        for (int i = 0; i < data.length; i += 3) {
            int b0 = data[i] & 0xff;
            int b1 = i + 1 < data.length ? data[i + 1] & 0xff : 0;
            int b2 = i + 2 < data.length ? data[i + 2] & 0xff : 0;
            sb.append(B64[b0 >> 2]).append(B64[((b0 & 3) << 4) | (b1 >> 4)]);
            sb.append(i + 1 < data.length ? B64[((b1 & 15) << 2) | (b2 >> 6)] : '=');
            sb.append(i + 2 < data.length ? B64[b2 & 63] : '=');
        }
        return sb.toString();
    }

    private static int num(Map<String, Object> req, String key) {
        Object v = req.get(key);
        if (!(v instanceof Double)) throw new IllegalArgumentException(req.get("op") + ": \"" + key + "\" must be a number");
        return (int) Math.floor((Double) v);
    }

    /** Runs `work` on the main thread; answers {key: result}, or {key: preview, queued: true} if the main thread is busy. */
    private static String onMain(String key, java.util.function.Supplier<String> work, java.util.function.Supplier<String> preview) {
        Looper main = Looper.getMainLooper();
        if (main == null) throw new IllegalStateException("the app has no main thread yet");
        CompletableFuture<String> done = new CompletableFuture<>();
        Screen.postInput(() -> {
            try {
                done.complete(work.get());
            } catch (RuntimeException | Error e) {
                done.completeExceptionally(e);
                throw e;  // an app's exception on input ends the app, as on a device
            }
        });
        try {
            return "{\"" + key + "\": " + Json.quote(done.get(MAIN_THREAD_WAIT_MS, TimeUnit.MILLISECONDS)) + "}";
        } catch (TimeoutException e) {
            return "{\"" + key + "\": " + Json.quote(preview.get()) + ", \"queued\": true}";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            throw new IllegalStateException("the main thread failed on the event: " + c);
        }
    }
}
