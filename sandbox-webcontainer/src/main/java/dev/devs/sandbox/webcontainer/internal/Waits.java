package dev.devs.sandbox.webcontainer.internal;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The module's bounded waits. Everything the driver waits for is a future that a thread it owns (the DevTools
 * reader, a timer) completes, so a caller's thread only ever waits with {@link Future#get(long, TimeUnit)} and
 * is never interrupted by the library. A wait that ends without a result (timeout, interrupt) cancels the
 * future, so nothing keeps waiting for an answer nobody will read. Internal: not part of the driver's API.
 */
public final class Waits {

    private Waits() {
    }

    /** One try of a {@link #poll} loop; true ends the loop. */
    @FunctionalInterface
    public interface Attempt {
        boolean done() throws InterruptedException;
    }

    /**
     * {@code future.get(timeout)}; on a timeout or an interrupt the future is cancelled before the exception
     * leaves. A negative timeout is zero.
     */
    public static <T> T get(Future<T> future, Duration timeout)
            throws InterruptedException, ExecutionException, TimeoutException {
        try {
            return future.get(Math.max(0, timeout.toNanos()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException | InterruptedException e) {
            future.cancel(false);
            throw e;
        }
    }

    /**
     * Like {@link #get}, for clean-up that must run even on an interrupted thread (disposing a sandbox's browser
     * context after its start was interrupted): an interrupt does not end the wait, which stays bounded by
     * {@code timeout}, and the thread's interrupt status is set again before this returns or throws.
     */
    public static <T> T getUninterruptibly(Future<T> future, Duration timeout) throws ExecutionException, TimeoutException {
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

    /**
     * The back-off loop: runs {@code attempt} until it returns true, sleeping {@code interval} between tries,
     * for at most {@code timeout} (at least one try).
     *
     * @return whether an attempt succeeded in time
     * @throws InterruptedException when the sleeping thread is interrupted (the loop ends there)
     */
    public static boolean poll(Duration interval, Duration timeout, Attempt attempt) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (attempt.done()) {
                return true;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.sleep(Math.min(left, interval.toNanos()));
        }
    }
}
