package dev.devs.sandbox.webcontainer.internal;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The module's back-off loop. Waits for a future go through core's
 * {@link dev.devs.sandbox.internal.BoundedCalls#await}. Internal: not part of the driver's API.
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
