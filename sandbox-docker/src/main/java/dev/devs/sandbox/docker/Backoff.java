package dev.devs.sandbox.docker;

/**
 * The driver's one wait-and-look-again loop: pauses that start short and double up to a cap, never past a
 * deadline. Short first pauses matter: what is awaited (an exec's exit code, a readiness file) is usually
 * there within a millisecond or two, and a coarse first pause would show in every start's latency.
 * Confined to one thread; one instance per wait.
 */
final class Backoff {

    private final long deadlineNanos;
    private final long maxPauseNanos;
    private long pauseNanos;

    /**
     * @param firstPauseNanos the first pause
     * @param maxPauseNanos   the cap the doubling stops at
     * @param deadlineNanos   {@link System#nanoTime()} after which {@link #pause()} refuses
     */
    Backoff(long firstPauseNanos, long maxPauseNanos, long deadlineNanos) {
        this.pauseNanos = firstPauseNanos;
        this.maxPauseNanos = maxPauseNanos;
        this.deadlineNanos = deadlineNanos;
    }

    /**
     * Sleeps the next pause, cut short at the deadline.
     *
     * @return false, without sleeping, once the deadline has passed: the caller gives up
     */
    boolean pause() throws InterruptedException {
        long left = deadlineNanos - System.nanoTime();
        if (left <= 0) {
            return false;
        }
        long nanos = Math.min(pauseNanos, left);
        Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
        pauseNanos = Math.min(pauseNanos * 2, maxPauseNanos);
        return true;
    }
}
