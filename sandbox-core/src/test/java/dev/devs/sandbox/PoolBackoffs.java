package dev.devs.sandbox;

import java.time.Duration;
import java.util.List;

/**
 * Lets tests of other packages (a driver's pool tests) read the back-offs a {@link SandboxPool}'s refill breaker
 * chose, which the pool keeps package-private.
 */
public final class PoolBackoffs {

    private PoolBackoffs() {
    }

    /** The latest back-offs {@code pool} chose, oldest first. */
    public static List<Duration> of(SandboxPool pool) {
        return pool.recentBackoffs();
    }
}
