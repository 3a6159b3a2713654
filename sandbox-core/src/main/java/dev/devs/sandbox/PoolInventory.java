package dev.devs.sandbox;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * A {@link SandboxPool}'s bookkeeping, under one lock: the idle sandboxes, the counts of starting and handed-out
 * ones, the acquirers waiting, and the refill breaker. It decides; the pool acts (starts, stops, hands out)
 * outside the lock. Every count change happens here, which is what keeps idle + starting + in use within
 * {@code maxSize} under any number of threads.
 */
final class PoolInventory {

    private static final Duration FIRST_BACKOFF = Duration.ofMillis(100);
    /** How many of the latest back-offs {@link #recentBackoffs()} keeps. */
    private static final int BACKOFFS_KEPT = 32;

    /** An idle sandbox and since when (monotonic) it waits. */
    record Idle(Sandbox sandbox, long sinceNanos) {
    }

    /** What an acquire got: a sandbox and the refills to launch, or why it got none. */
    record Taken(Idle idle, int refillsToLaunch, String refusal, boolean breakerOpen, Throwable lastRefillError) {
    }

    private final int minIdle;
    private final int maxSize;
    private final int refillConcurrency;
    private final int failureThreshold;
    private final Duration maxBackoff;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<Idle> idle = new ArrayDeque<>();
    private int starting;
    private int inUse;
    private int waiters;
    private int consecutiveFailures;
    private Throwable lastRefillError;
    private long breakerUntilNanos;
    private boolean closed;
    /** The latest back-offs chosen, oldest first: what the tests check instead of counting starts in a time window. */
    private final ArrayDeque<Duration> backoffs = new ArrayDeque<>();

    PoolInventory(int minIdle, int maxSize, int refillConcurrency, int failureThreshold, Duration maxBackoff) {
        this.minIdle = minIdle;
        this.maxSize = maxSize;
        this.refillConcurrency = refillConcurrency;
        this.failureThreshold = failureThreshold;
        this.maxBackoff = maxBackoff;
    }

    /**
     * Takes the oldest idle sandbox, waiting for one until {@code deadlineNanos}; while it waits it asks for
     * refills through {@code launch} (called under the lock; it must not block).
     */
    Taken take(String pool, Duration maxWait, long deadlineNanos, Consumer<Integer> launch) {
        lock.lock();
        try {
            while (true) {
                if (closed) {
                    throw new IllegalStateException("pool '" + pool + "' is closed");
                }
                Idle got = idle.pollFirst();
                if (got != null) {
                    inUse++;
                    return new Taken(got, planRefills(), null, false, null);
                }
                if (breakerOpen()) {
                    return new Taken(null, 0, "pool '" + pool + "' is not refilling: " + consecutiveFailures
                            + " refills in a row failed, next try in " + Math.max(0, (breakerUntilNanos - System.nanoTime()) / 1_000_000)
                            + " ms; " + state(), true, lastRefillError);
                }
                long remaining = deadlineNanos - System.nanoTime();
                if (remaining <= 0) {
                    return new Taken(null, 0, "pool '" + pool + "' handed out no sandbox within " + maxWait + ": " + state(), false,
                            lastRefillError);
                }
                waiters++;
                try {
                    launch.accept(planRefills());
                    changed.awaitNanos(remaining);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return new Taken(null, 0, "acquire from pool '" + pool + "' was interrupted: " + state(), false, lastRefillError);
                } finally {
                    waiters--;
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** Refills to start now (counted as starting): toward minIdle plus the waiters, within maxSize, the concurrency and the breaker. */
    int planRefills() {
        lock.lock();
        try {
            if (closed) {
                return 0;
            }
            boolean halfOpen = consecutiveFailures >= failureThreshold;
            if (halfOpen && System.nanoTime() - breakerUntilNanos < 0) {
                return 0;
            }
            int need = minIdle + waiters - idle.size() - starting;
            int capacity = maxSize - (idle.size() + starting + inUse);
            int slots = (halfOpen ? 1 : refillConcurrency) - starting; // half open: one probe at a time
            int n = Math.max(0, Math.min(need, Math.min(capacity, slots)));
            starting += n;
            return n;
        } finally {
            lock.unlock();
        }
    }

    /** A refill that was planned but will never run. */
    void refillCancelled() {
        lock.lock();
        try {
            starting--;
        } finally {
            lock.unlock();
        }
    }

    /** A refill made a sandbox; false when the pool closed meanwhile and the caller must stop it. */
    boolean refillSucceeded(Sandbox made) {
        lock.lock();
        try {
            starting--;
            consecutiveFailures = 0;
            changed.signalAll();
            if (closed) {
                return false;
            }
            idle.addLast(new Idle(made, System.nanoTime()));
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** A refill failed; returns the back-off after which to try again when this opened (or kept open) the breaker, else null. */
    Duration refillFailed(RuntimeException failure) {
        lock.lock();
        try {
            starting--;
            changed.signalAll();
            if (closed) {
                return null;
            }
            consecutiveFailures++;
            lastRefillError = failure;
            if (consecutiveFailures < failureThreshold) {
                return null;
            }
            Duration backoff = FIRST_BACKOFF.multipliedBy(1L << Math.min(consecutiveFailures - failureThreshold, 20));
            backoff = backoff.compareTo(maxBackoff) > 0 ? maxBackoff : backoff;
            breakerUntilNanos = System.nanoTime() + backoff.toNanos();
            if (backoffs.size() == BACKOFFS_KEPT) {
                backoffs.removeFirst();
            }
            backoffs.addLast(backoff);
            return backoff;
        } finally {
            lock.unlock();
        }
    }

    /** A handed-out sandbox ended (or its claim failed): its place is free. */
    void released() {
        lock.lock();
        try {
            inUse--;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Removes and returns the idle sandboxes waiting longer than {@code ttl} (none when ttl is zero). */
    List<Sandbox> removeAged(Duration ttl) {
        List<Sandbox> aged = new ArrayList<>();
        if (ttl.isZero()) {
            return aged;
        }
        long now = System.nanoTime();
        lock.lock();
        try {
            idle.removeIf(i -> {
                boolean old = now - i.sinceNanos() > ttl.toNanos();
                if (old) {
                    aged.add(i.sandbox());
                }
                return old;
            });
        } finally {
            lock.unlock();
        }
        return aged;
    }

    /** The idle sandboxes now, for a liveness check outside the lock. */
    List<Idle> idleNow() {
        lock.lock();
        try {
            return new ArrayList<>(idle);
        } finally {
            lock.unlock();
        }
    }

    /** Removes one idle sandbox found dead; true if it was still idle (not handed out meanwhile). */
    boolean removeIdle(Idle i) {
        lock.lock();
        try {
            return idle.remove(i);
        } finally {
            lock.unlock();
        }
    }

    /** Closes the inventory: no more hand-outs or refills; returns the idle sandboxes to stop; null if already closed. */
    List<Sandbox> close() {
        lock.lock();
        try {
            if (closed) {
                return null;
            }
            closed = true;
            List<Sandbox> left = new ArrayList<>();
            idle.forEach(i -> left.add(i.sandbox()));
            idle.clear();
            changed.signalAll();
            return left;
        } finally {
            lock.unlock();
        }
    }

    /** The latest back-offs the breaker chose (at most the last 32), oldest first. */
    List<Duration> recentBackoffs() {
        lock.lock();
        try {
            return List.copyOf(backoffs);
        } finally {
            lock.unlock();
        }
    }

    PoolStats stats(String pool) {
        lock.lock();
        try {
            return new PoolStats(pool, idle.size(), starting, inUse, maxSize, consecutiveFailures,
                    lastRefillError == null ? null : String.valueOf(lastRefillError.getMessage()), breakerOpen());
        } finally {
            lock.unlock();
        }
    }

    private boolean breakerOpen() {
        return consecutiveFailures >= failureThreshold && System.nanoTime() - breakerUntilNanos < 0;
    }

    private String state() {
        return "idle " + idle.size() + ", starting " + starting + ", in use " + inUse + " of maxSize " + maxSize
                + (lastRefillError == null ? "" : "; last refill error: " + lastRefillError.getMessage());
    }
}
