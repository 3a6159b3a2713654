package dev.devs.sandbox.metrics;

import dev.devs.sandbox.internal.DaemonThreads;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs one job ("write the latest state") on a single thread of its own, so that callers ask for a write
 * and never wait for one:
 * <ul>
 *   <li>{@link #request()} queues the job unless it is already queued: at most one write waits behind the one
 *       running, so a burst of requests costs one or two writes, and the queued one carries the latest state;</li>
 *   <li>{@link #flush()} queues the job and waits for it: since the thread runs jobs in order, the write it
 *       waits for starts after every request made before the call;</li>
 *   <li>{@link #close(Duration)} queues a last write, stops the thread after it and waits for it, bounded.</li>
 * </ul>
 * The job must itself skip a write when nothing changed, and log its failures: a failure of a requested
 * write has nobody else to tell; a failure of a flushed or closing write is also thrown to its caller.
 */
final class CoalescingWriter {

    /** The write; it reads the latest state itself when it runs. */
    @FunctionalInterface
    interface Job {
        void run() throws Exception;
    }

    private final Job job;
    private final ExecutorService executor;
    private final AtomicBoolean queued = new AtomicBoolean();

    // Submitting and shutting down under one lock, so that a flush() racing close() either gets its own write
    // in before the shutdown or waits for the closing write: it is never rejected and never left waiting.
    private final Object submitLock = new Object();
    private Future<?> closingWrite; // guarded by submitLock; non-null once closed

    CoalescingWriter(String threadName, Job job) {
        this.job = job;
        this.executor = Executors.newSingleThreadExecutor(DaemonThreads.named(threadName));
    }

    /** Asks for a write; returns at once. Ignored after {@link #close}. */
    void request() {
        // Only the request that flips the flag pays for the hand-off; during a burst the flag is already set.
        if (queued.get() || !queued.compareAndSet(false, true)) {
            return;
        }
        try {
            executor.execute(this::runRequested);
        } catch (RejectedExecutionException closed) {
            // Shut down by close(), whose own last write carries the state.
        }
    }

    private void runRequested() {
        // Cleared before the job reads the state: a request landing after this point queues the next write,
        // one that landed before is in this one. Nothing is lost; at worst one write too many.
        queued.set(false);
        try {
            job.run();
        } catch (Exception alreadyLogged) {
            // The job logs its own failures; the next request or flush() retries.
        }
    }

    /**
     * Writes now and waits for that write. After {@link #close}, waits for the closing write instead. If the
     * calling thread is interrupted it stops waiting and returns with its interrupt status set.
     *
     * @throws Exception the write's failure, as the job threw it
     */
    void flush() throws Exception {
        Future<?> write;
        synchronized (submitLock) {
            write = closingWrite != null ? closingWrite : executor.submit(this::runFlushed);
        }
        try {
            write.get();
        } catch (InterruptedException e) {
            // The caller's interrupt: stop waiting, and leave it for the caller to see.
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            throw unwrap(e);
        }
    }

    private Void runFlushed() throws Exception {
        job.run();
        return null;
    }

    /**
     * Queues a last write, stops the thread after it and waits at most {@code timeout} for it; the first call
     * does this, later calls wait for the same write. A write still running after {@code timeout} is
     * interrupted (it runs on this writer's own thread, never the caller's).
     *
     * @throws TimeoutException if the last write did not finish within {@code timeout}
     * @throws Exception        the last write's failure, as the job threw it
     */
    void close(Duration timeout) throws Exception {
        Future<?> write;
        synchronized (submitLock) {
            if (closingWrite == null) {
                closingWrite = executor.submit(this::runFlushed);
                executor.shutdown();
            }
            write = closingWrite;
        }
        try {
            write.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            throw unwrap(e);
        } catch (TimeoutException e) {
            executor.shutdownNow();
            throw e;
        }
    }

    private static Exception unwrap(ExecutionException e) {
        Throwable cause = e.getCause();
        if (cause instanceof Error error) {
            throw error;
        }
        return cause instanceof Exception ex ? ex : e;
    }
}
