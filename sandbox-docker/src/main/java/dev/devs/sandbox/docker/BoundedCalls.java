package dev.devs.sandbox.docker;

import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Runs blocking calls on threads this object owns and bounds the caller's wait for each one.
 *
 * <p>A call that does not finish within its bound is cancelled with an interrupt of the <em>owned</em> thread
 * (which unblocks an engine call on a Unix socket: docker-java reads it through an interruptible channel),
 * and the caller gets a {@link TimedOut}. The caller's own thread is never interrupted, and its interrupt is
 * never cleared or lost: interrupted while waiting, it cancels the call, keeps its interrupt status set and
 * gets an {@link InterruptedException}.
 *
 * <p>The threads are a cached pool handing work over through a {@link SynchronousQueue}: an idle thread takes
 * the next call at once (the hop costs microseconds, and the warm start makes four such calls), a busy pool
 * grows, and a thread idle for a minute ends. They are daemon threads, so a driver nobody closed does not keep
 * the JVM alive. Thread-safe.
 */
final class BoundedCalls implements AutoCloseable {

    private final ThreadPoolExecutor threads;
    private final String closedMessage;

    /**
     * @param threadName    prefix of the owned threads' names, numbered from 1
     * @param closedMessage what a call after {@link #close()} fails with
     */
    BoundedCalls(String threadName, String closedMessage) {
        this.closedMessage = closedMessage;
        AtomicInteger n = new AtomicInteger();
        this.threads = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 60, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
            Thread t = new Thread(r, threadName + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** A call that did not finish within its bound; it has been cancelled on its owned thread. */
    static final class TimedOut extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final Duration bound;

        TimedOut(Duration bound) {
            super("no answer within " + bound);
            this.bound = bound;
        }

        /** The bound the call exceeded. */
        Duration bound() {
            return bound;
        }
    }

    /**
     * Runs {@code call} on an owned thread and waits at most {@code bound} for it.
     *
     * @return what the call returned
     * @throws TimedOut              the bound passed first; the call was cancelled
     * @throws InterruptedException  the caller was interrupted while waiting; the call was cancelled and the
     *                               caller's interrupt status is still set
     * @throws IllegalStateException after {@link #close()}
     * @throws RuntimeException      what the call threw, as it threw it
     */
    <T> T call(Supplier<T> call, Duration bound) throws InterruptedException {
        Future<T> f = submit(call);
        try {
            return f.get(bound.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            f.cancel(true);
            Thread.currentThread().interrupt(); // the caller's interrupt is the caller's: keep it visible
            throw e;
        } catch (TimeoutException e) {
            f.cancel(true);
            throw new TimedOut(bound);
        } catch (ExecutionException e) {
            throw rethrow(e.getCause());
        } catch (CancellationException e) {
            throw new IllegalStateException(closedMessage, e); // close() cancelled it
        }
    }

    /**
     * Like {@link #call}, but an interrupt of the caller does not cut the wait: for calls that must finish
     * (removing what a start created, even when the start was interrupted). The interrupt status is restored
     * before returning or throwing.
     */
    <T> T callUninterruptibly(Supplier<T> call, Duration bound) {
        boolean interrupted = Thread.interrupted();
        long deadline = System.nanoTime() + bound.toNanos();
        Future<T> f = submit(call);
        try {
            while (true) {
                try {
                    return f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (TimeoutException e) {
                    f.cancel(true);
                    throw new TimedOut(bound);
                } catch (ExecutionException e) {
                    throw rethrow(e.getCause());
                } catch (CancellationException e) {
                    throw new IllegalStateException(closedMessage, e);
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Owned threads running a call right now (for tests: a cancelled call must not hold one). */
    int activeCount() {
        return threads.getActiveCount();
    }

    /** Cancels calls in flight (interrupting their owned threads) and refuses new ones. Idempotent. */
    @Override
    public void close() {
        threads.shutdownNow();
    }

    private <T> Future<T> submit(Supplier<T> call) {
        try {
            return threads.submit(call::get);
        } catch (RejectedExecutionException e) {
            throw new IllegalStateException(closedMessage, e);
        }
    }

    private static RuntimeException rethrow(Throwable cause) {
        if (cause instanceof RuntimeException r) {
            throw r;
        }
        if (cause instanceof Error err) {
            throw err;
        }
        return new IllegalStateException(cause); // a Supplier throws nothing checked
    }
}
