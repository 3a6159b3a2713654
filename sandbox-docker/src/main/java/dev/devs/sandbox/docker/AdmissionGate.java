package dev.devs.sandbox.docker;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Bounds the engine operations the driver has in flight (a start up to its container running, a stop with its
 * removal) and queues the rest. A flooded engine answers every call late and the slowest start decides a burst's
 * P95; one fed a few at a time finishes each sooner.
 *
 * <p>Fair: operations are admitted first come, first served, and a released slot is handed to the head of the queue
 * (no barging), so a pool's refills and a user's starts take turns in arrival order and none starves. Stops and
 * removals wait in a queue of their own that is served before the starts': they free the engine's resources, their
 * number is bounded by the live sandboxes, and a burst of starts must not hold a stop back. A waiter gives up at its
 * deadline or on an interrupt, leaving the queue as if it had never joined. Thread-safe.
 */
final class AdmissionGate {

    /** What an operation is, for the queue it waits in. */
    enum Kind { START, STOP }

    /** A slot; {@link #close()} hands it on. Idempotent. */
    interface Permit extends AutoCloseable {
        /** Whether the operation had to queue for it. */
        boolean waited();

        @Override
        void close();
    }

    /** Unbounded: every operation is admitted at once. */
    static final int UNBOUNDED = Integer.MAX_VALUE;

    private final int bound;
    private final ReentrantLock lock = new ReentrantLock();
    private final ArrayDeque<Waiter> stops = new ArrayDeque<>();
    private final ArrayDeque<Waiter> starts = new ArrayDeque<>();
    private int inFlight;

    AdmissionGate(int bound) {
        if (bound < 1) {
            throw new IllegalArgumentException("maxEngineOperations " + bound + " must be at least 1");
        }
        this.bound = bound;
    }

    int bound() {
        return bound;
    }

    /** Operations admitted and not yet released. */
    int inFlight() {
        lock.lock();
        try {
            return inFlight;
        } finally {
            lock.unlock();
        }
    }

    /** Operations waiting. */
    int queued() {
        lock.lock();
        try {
            return stops.size() + starts.size();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits for a slot, at most {@code maxWait}.
     *
     * @return the slot, or null when {@code maxWait} passed first (the waiter has left the queue)
     * @throws InterruptedException the caller was interrupted while it waited; it left the queue, and its interrupt
     *                              status is set again, to be the caller's
     */
    Permit enter(Kind kind, Duration maxWait) throws InterruptedException {
        long deadline = System.nanoTime() + Math.max(0, maxWait.toNanos());
        lock.lock();
        try {
            if (inFlight < bound && stops.isEmpty() && starts.isEmpty()) {
                inFlight++;
                return new Slot(false);
            }
            Waiter me = new Waiter(lock.newCondition());
            ArrayDeque<Waiter> queue = kind == Kind.STOP ? stops : starts;
            queue.addLast(me);
            try {
                while (!me.admitted) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        queue.remove(me);
                        return null;
                    }
                    me.turn.await(left, TimeUnit.NANOSECONDS);
                }
                return new Slot(true);
            } catch (InterruptedException e) {
                if (me.admitted) {
                    release(); // handed a slot as the interrupt came: hand it on
                } else {
                    queue.remove(me);
                }
                Thread.currentThread().interrupt();
                throw e;
            }
        } finally {
            lock.unlock();
        }
    }

    /** Hands the freed slot to the head of the stops' queue, else of the starts'; else the slot is free. */
    private void release() {
        Waiter next = stops.pollFirst();
        if (next == null) {
            next = starts.pollFirst();
        }
        if (next == null) {
            inFlight--;
            return;
        }
        next.admitted = true; // the slot passes on: inFlight stays
        next.turn.signal();
    }

    private static final class Waiter {
        final Condition turn;
        boolean admitted;

        Waiter(Condition turn) {
            this.turn = turn;
        }
    }

    private final class Slot implements Permit {
        private final boolean waited;
        private boolean closed;

        Slot(boolean waited) {
            this.waited = waited;
        }

        @Override
        public boolean waited() {
            return waited;
        }

        @Override
        public void close() {
            lock.lock();
            try {
                if (!closed) {
                    closed = true;
                    release();
                }
            } finally {
                lock.unlock();
            }
        }
    }

    /** For messages: how the bound reads. */
    String describeBound() {
        return bound == UNBOUNDED ? "unbounded" : String.valueOf(bound);
    }
}
