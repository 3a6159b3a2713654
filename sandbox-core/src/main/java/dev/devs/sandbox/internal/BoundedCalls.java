package dev.devs.sandbox.internal;

import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The library's one way to bound a blocking call: it runs on threads this object owns, and the caller waits
 * for it with {@link Future#get(long, TimeUnit)} until a deadline. A caller that works to a deadline (a
 * start's {@code startupTimeout}) passes what remains of it, so that a call may take as long as the caller
 * can still afford, and no fixed per-call timeout fails a call that a busy but healthy server answers late.
 * Internal: public only so that the drivers' modules can share it (see the package comment).
 *
 * <p>A call that does not finish within its bound is cancelled with an interrupt of the <em>owned</em> thread
 * (which unblocks an engine call on a Unix socket: docker-java reads it through an interruptible channel),
 * and the caller gets a {@link TimedOut}. The caller's own thread is never interrupted, and its interrupt is
 * never cleared or lost. A caller interrupted while it waits does not abandon the call half-way, since the
 * engine would carry on with it unseen (a container created that nobody knows to remove): the call is let
 * finish within its bound, then {@link #call} throws {@link InterruptedException} with the caller's interrupt
 * status still set, and a caller already interrupted makes no call at all.
 *
 * <p>The threads are a cached pool handing work over through a {@link SynchronousQueue}: an idle thread takes
 * the next call at once (the hop costs microseconds, and the warm start makes four such calls), a busy pool
 * grows, and a thread idle for a minute ends. They are daemon threads, so a driver nobody closed does not keep
 * the JVM alive. Thread-safe.
 */
public final class BoundedCalls implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(BoundedCalls.class);
    private final ThreadPoolExecutor threads;
    private final String closedMessage;

    /**
     * @param threadName    the owned threads are named {@code <threadName>-<n>}
     * @param closedMessage what a call after {@link #close()} fails with
     */
    public BoundedCalls(String threadName, String closedMessage) {
        this.closedMessage = closedMessage;
        this.threads = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 60, TimeUnit.SECONDS, new SynchronousQueue<>(),
                DaemonThreads.named(threadName));
    }

    /** A call that did not finish within its bound; it has been cancelled on its owned thread. */
    public static final class TimedOut extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final Duration bound;

        public TimedOut(Duration bound) {
            super("no answer within " + bound);
            this.bound = bound;
        }

        /** The bound the call exceeded. */
        public Duration bound() {
            return bound;
        }
    }

    /**
     * Runs {@code call} on an owned thread and waits at most {@code bound} for it.
     *
     * @return what the call returned
     * @throws TimedOut              the bound passed first; the call was cancelled
     * @throws InterruptedException  the caller was interrupted before or while waiting (a call under way was
     *                               let finish first); the caller's interrupt status is still set
     * @throws IllegalStateException after {@link #close()}
     * @throws RuntimeException      what the call threw, as it threw it
     */
    public <T> T call(Supplier<T> call, Duration bound) throws InterruptedException {
        return call(call, bound, null);
    }

    /**
     * Like {@link #call}, for a call that makes the server create something (a container): when the bound passes,
     * the call is <em>abandoned</em>, not cancelled. Cancelling it would only stop this side from reading the answer;
     * a server that has the request carries on and creates the thing unseen, after the caller's clean-up has found
     * nothing. So the call runs on on its owned thread, and when it ends (answered, failed, or cut by
     * {@link #close()}) {@code afterAbandoned} gets what it returned (or null) and what it threw (or null), on that
     * owned thread, to undo it. Exactly one of the caller and {@code afterAbandoned} sees the call's outcome.
     * An abandoned call holds its thread until the server answers or this object is closed.
     *
     * @throws TimedOut the bound passed first; the call was abandoned to {@code afterAbandoned}
     */
    public <T> T callAbandoning(Supplier<T> call, Duration bound, BiConsumer<? super T, ? super Throwable> afterAbandoned)
            throws InterruptedException {
        return call(call, bound, afterAbandoned);
    }

    private <T> T call(Supplier<T> call, Duration bound, BiConsumer<? super T, ? super Throwable> afterAbandoned)
            throws InterruptedException {
        if (Thread.currentThread().isInterrupted()) {
            throw new InterruptedException("interrupted before the call was made");
        }
        boolean[] interrupted = {false};
        T result;
        try {
            result = afterAbandoned == null ? await(submit(call), bound, interrupted)
                    : awaitOrAbandon(call, bound, afterAbandoned, interrupted);
            // get() returns a finished call's result without looking at the interrupt status: an interrupt that
            // came while the result arrived counts as one that came while waiting.
            interrupted[0] |= Thread.interrupted();
        } finally {
            if (interrupted[0]) {
                Thread.currentThread().interrupt(); // the caller's interrupt is the caller's: keep it visible
            }
        }
        if (interrupted[0]) {
            throw new InterruptedException("interrupted while waiting for the call, which was let finish");
        }
        return result;
    }

    /**
     * Like {@link #call}, but an interrupt of the caller, before or during the call, does not make it fail:
     * for calls that must happen (removing what a start created, even when the start was interrupted). The
     * interrupt status is restored before returning or throwing.
     */
    public <T> T callUninterruptibly(Supplier<T> call, Duration bound) {
        boolean[] interrupted = {Thread.interrupted()};
        try {
            return await(submit(call), bound, interrupted);
        } finally {
            if (interrupted[0]) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Runs {@code call} and waits for it as {@link #await(Future, Duration, boolean[])} does, but at the bound hands it
     * to {@code afterAbandoned} instead of cancelling it. Whichever of the call's end and the bound claims the outcome
     * first decides who gets it.
     */
    private <T> T awaitOrAbandon(Supplier<T> call, Duration bound, BiConsumer<? super T, ? super Throwable> afterAbandoned,
                                 boolean[] interrupted) {
        AtomicBoolean claimed = new AtomicBoolean();
        Future<T> f = submit(() -> {
            T value = null;
            RuntimeException thrown = null;
            try {
                value = call.get();
            } catch (RuntimeException e) {
                thrown = e;
            }
            if (!claimed.compareAndSet(false, true)) { // the caller gave up first: the outcome is afterAbandoned's
                try {
                    afterAbandoned.accept(value, thrown);
                } catch (RuntimeException e) {
                    log.warn("undoing an abandoned call failed", e);
                }
            }
            if (thrown != null) {
                throw thrown;
            }
            return value;
        });
        long deadline = System.nanoTime() + bound.toNanos();
        boolean mine = false; // once claimed, the call has ended and its future completes at once
        while (true) {
            try {
                return mine ? f.get() : f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                interrupted[0] = true; // get() cleared the status; the caller restores it
            } catch (TimeoutException e) {
                if (claimed.compareAndSet(false, true)) {
                    throw new TimedOut(bound); // not cancelled: it runs on, and its outcome goes to afterAbandoned
                }
                mine = true; // it ended just now: its outcome is the caller's
            } catch (ExecutionException e) {
                throw rethrow(e.getCause());
            } catch (CancellationException e) {
                throw new IllegalStateException(closedMessage, e); // close() cancelled it
            }
        }
    }

    /** Waits for {@code f} through interrupts, noting them in {@code interrupted[0]}; cancels it at the bound. */
    private <T> T await(Future<T> f, Duration bound, boolean[] interrupted) {
        long deadline = System.nanoTime() + bound.toNanos();
        while (true) {
            try {
                return f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                interrupted[0] = true; // get() cleared the status; the caller restores it
            } catch (TimeoutException e) {
                f.cancel(true); // interrupts the owned thread, never the caller
                throw new TimedOut(bound);
            } catch (ExecutionException e) {
                throw rethrow(e.getCause());
            } catch (CancellationException e) {
                throw new IllegalStateException(closedMessage, e); // close() cancelled it
            }
        }
    }

    /**
     * Waits for a future that a thread the library owns completes (an answer read by a protocol reader, a timer),
     * at most {@code timeout}: the same {@link Future#get(long, TimeUnit)} bound as {@link #call}, for work that
     * already runs elsewhere. On a timeout or an interrupt the future is cancelled (without interrupting anyone)
     * before the exception leaves, so nothing keeps waiting for an answer nobody will read. An interrupt ends the
     * wait with the {@link InterruptedException}; what to do with it is the caller's. A negative timeout is zero.
     */
    public static <T> T await(Future<T> future, Duration timeout) throws InterruptedException, ExecutionException, TimeoutException {
        try {
            return future.get(Math.max(0, timeout.toNanos()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException | InterruptedException e) {
            future.cancel(false);
            throw e;
        }
    }

    /**
     * Like {@link #await}, for clean-up that must run even on an interrupted thread: an interrupt does not end the
     * wait, which stays bounded by {@code timeout}, and the thread's interrupt status is set again before this
     * returns or throws.
     */
    public static <T> T awaitUninterruptibly(Future<T> future, Duration timeout) throws ExecutionException, TimeoutException {
        long deadline = System.nanoTime() + Math.max(0, timeout.toNanos());
        boolean interrupted = Thread.interrupted();
        try {
            while (true) {
                try {
                    return future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (TimeoutException e) {
                    future.cancel(false);
                    throw e;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Owned threads running a call right now (for tests: a cancelled call must not hold one). */
    public int activeCount() {
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
