package android.os;

public final class CancellationSignal {
    private volatile boolean mCanceled;

    public CancellationSignal() {}

    public boolean isCanceled() { return mCanceled; }

    public void cancel() { mCanceled = true; }

    public void throwIfCanceled() {
        if (mCanceled) throw new OperationCanceledException();
    }
}
