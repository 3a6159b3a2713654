package dev.devs.sandbox.docker;

import com.github.dockerjava.api.async.ResultCallback;
import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A docker-java stream callback that waits with a bound and keeps the first error for the caller.
 *
 * <p>docker-java's own {@code ResultCallback.Adapter} logs every stream error at ERROR level; a pull
 * of a missing image is an expected outcome that the driver turns into an exception, not a log line.
 * Not reusable: one instance per call.
 */
final class StreamCallback<T> implements ResultCallback<T> {

    private final Consumer<T> onItem;
    private final CountDownLatch done = new CountDownLatch(1);
    private volatile Closeable stream;
    private volatile Throwable error;
    private volatile boolean closed;

    StreamCallback(Consumer<T> onItem) {
        this.onItem = onItem;
    }

    @Override
    public void onStart(Closeable stream) {
        this.stream = stream;
        if (closed) {
            // close() raced ahead of the stream's start: close what just arrived.
            closeQuietly(stream);
        }
    }

    @Override
    public void onNext(T item) {
        if (!closed) {
            onItem.accept(item);
        }
    }

    @Override
    public void onError(Throwable throwable) {
        if (!closed && error == null) {
            error = throwable;
        }
        close();
    }

    @Override
    public void onComplete() {
        close();
    }

    /** Ends the stream (aborting the HTTP exchange if still open) and releases waiters. Idempotent. */
    @Override
    public void close() {
        closed = true;
        Closeable s = stream;
        if (s != null) {
            closeQuietly(s);
        }
        done.countDown();
    }

    /**
     * Waits until the stream completed, failed or was closed.
     *
     * @return false if {@code timeout} elapsed first (the stream is still open; the caller closes it)
     */
    boolean await(Duration timeout) throws InterruptedException {
        long nanos = Math.max(0, timeout.toNanos());
        return done.await(nanos, TimeUnit.NANOSECONDS);
    }

    /** The first error the stream reported, or null. */
    Throwable error() {
        return error;
    }

    private static void closeQuietly(Closeable c) {
        try {
            c.close();
        } catch (IOException | RuntimeException ignored) {
            // Closing an aborted HTTP exchange may complain; the stream is gone either way.
        }
    }
}
