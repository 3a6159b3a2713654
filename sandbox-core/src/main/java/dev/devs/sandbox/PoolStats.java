package dev.devs.sandbox;

import java.util.Optional;

/**
 * A {@link SandboxPool}'s counts at one moment.
 *
 * @param pool                the pool's name
 * @param idle                ready sandboxes waiting for a claim
 * @param starting            refills in flight
 * @param inUse               sandboxes handed out and not yet stopped
 * @param maxSize             the most the pool may hold (idle + starting + in use)
 * @param consecutiveFailures refills that failed in a row (0 after a success)
 * @param lastRefillError     the message of the last failed refill, if any has failed
 * @param breakerOpen         whether refills are paused after too many failures (acquire then fails at once)
 */
public record PoolStats(String pool, int idle, int starting, int inUse, int maxSize, int consecutiveFailures,
                        String lastRefillError, boolean breakerOpen) {

    /** {@link #lastRefillError()} as an optional. */
    public Optional<String> lastRefillErrorMessage() {
        return Optional.ofNullable(lastRefillError);
    }

    /** Idle + starting + in use: never above {@link #maxSize()}. */
    public int total() {
        return idle + starting + inUse;
    }
}
