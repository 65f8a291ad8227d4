package android.os;

import java.util.PriorityQueue;

/**
 * The main thread's message loop. Real Android loops forever; the stand-in's system glue
 * (android.app.ActivityThread) drains it with {@link #runUntilIdle()} between the scripted
 * moments, which keeps the scenario single-threaded and deterministic.
 */
public final class Looper {
    private static final ThreadLocal<Looper> sThreadLocal = new ThreadLocal<>();
    private static Looper sMainLooper;

    private final Thread mThread;
    private final PriorityQueue<Message> mQueue = new PriorityQueue<>();
    private long mSeq;

    private Looper() {
        mThread = Thread.currentThread();
    }

    public static void prepare() {
        if (sThreadLocal.get() != null) throw new RuntimeException("Only one Looper may be created per thread");
        sThreadLocal.set(new Looper());
    }

    public static void prepareMainLooper() {
        prepare();
        synchronized (Looper.class) {
            if (sMainLooper != null) throw new IllegalStateException("The main Looper has already been prepared.");
            sMainLooper = myLooper();
        }
    }

    public static Looper getMainLooper() {
        synchronized (Looper.class) {
            return sMainLooper;
        }
    }

    public static Looper myLooper() {
        return sThreadLocal.get();
    }

    public Thread getThread() {
        return mThread;
    }

    public boolean isCurrentThread() {
        return Thread.currentThread() == mThread;
    }

    synchronized void enqueue(Runnable r, long uptimeMillis) {
        mQueue.add(new Message(r, uptimeMillis, mSeq++));
        notifyAll();
    }

    synchronized boolean remove(Runnable r) {
        return mQueue.removeIf(m -> m.callback == r);
    }

    /** Runs queued messages in time order, sleeping until each is due; returns when none is left. */
    public void runUntilIdle() {
        while (true) {
            Message next;
            synchronized (this) {
                next = mQueue.peek();
                if (next == null) return;
                long wait = next.when - SystemClock.uptimeMillis();
                if (wait > 0) {
                    try {
                        wait(wait);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                    continue;
                }
                mQueue.poll();
            }
            next.callback.run();
        }
    }

    static final class Message implements Comparable<Message> {
        final Runnable callback;
        final long when;
        final long seq;

        Message(Runnable callback, long when, long seq) {
            this.callback = callback;
            this.when = when;
            this.seq = seq;
        }

        @Override
        public int compareTo(Message o) {
            int c = Long.compare(when, o.when);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }
}
