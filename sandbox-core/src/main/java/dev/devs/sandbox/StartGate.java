package dev.devs.sandbox;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A provider's open/closed state and its starts in flight. A start either registers before {@link #close} or
 * sees the provider closed, never half of each; {@code close} gets the starts it must wait for (a start in flight
 * still uses the driver, which is closed only once it has finished).
 */
final class StartGate {
    private boolean closed; // guarded by this
    /** Each start in flight, completed when it has finished, with the thread running it. */
    private final Map<CompletableFuture<Void>, Thread> starts = new ConcurrentHashMap<>();

    /** Registers a start on the calling thread; its future is completed by {@link #finish}. */
    synchronized CompletableFuture<Void> register() {
        requireOpen();
        CompletableFuture<Void> start = new CompletableFuture<>();
        starts.put(start, Thread.currentThread());
        return start;
    }

    void finish(CompletableFuture<Void> start) {
        starts.remove(start);
        start.complete(null);
    }

    /**
     * Closes; returns the starts in flight to wait for, but for the calling thread's own (a {@code close()} from a
     * listener, whose start would never finish while it waited), or null when it was closed already.
     */
    synchronized List<CompletableFuture<Void>> close() {
        if (closed) {
            return null;
        }
        closed = true;
        List<CompletableFuture<Void>> others = new ArrayList<>();
        starts.forEach((start, thread) -> {
            if (thread != Thread.currentThread()) {
                others.add(start);
            }
        });
        return others;
    }

    synchronized boolean isClosed() {
        return closed;
    }

    void requireOpen() {
        if (isClosed()) {
            throw new IllegalStateException("provider is closed");
        }
    }
}
