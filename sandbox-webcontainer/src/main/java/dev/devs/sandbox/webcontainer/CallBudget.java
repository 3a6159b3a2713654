package dev.devs.sandbox.webcontainer;

import dev.devs.sandbox.spi.StartContext;
import java.time.Duration;

/** How long one DevTools call of a start may wait: what is left of the startup timeout, at most {@link #CALL_TIMEOUT}. */
final class CallBudget {

    /** Bound on one DevTools call that is not the boot. */
    static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);

    private CallBudget() {
    }

    /**
     * The budget of the next call of {@code phase}.
     *
     * @throws dev.devs.sandbox.SandboxTimeoutException naming the phase, when the startup timeout has run out
     */
    static Duration of(StartContext ctx, String phase) {
        ctx.checkDeadline(phase);
        return atMostOneCall(ctx.remaining());
    }

    /** {@code left}, capped at {@link #CALL_TIMEOUT}. */
    static Duration atMostOneCall(Duration left) {
        return left.compareTo(CALL_TIMEOUT) < 0 ? left : CALL_TIMEOUT;
    }
}
