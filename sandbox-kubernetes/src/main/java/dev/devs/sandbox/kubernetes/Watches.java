package dev.devs.sandbox.kubernetes;

import dev.devs.sandbox.SandboxException;
import dev.devs.sandbox.SandboxTimeoutException;
import dev.devs.sandbox.spi.StartContext;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Waits on a future of fabric8's {@code informOnCondition} (a list and then a watch: no sleep-polling), bounded by
 * the start's deadline. Cancelling the future stops its informer, so nothing keeps watching after a wait ends.
 */
final class Watches {

    private Watches() {
    }

    /**
     * @param phase     the phase running when the time runs out
     * @param what      what is awaited, for the timeout message, e.g. {@code Pod devs-sbx-1 to become Ready}
     * @param lastState the last state seen, for the timeout message
     * @throws SandboxTimeoutException when the startup timeout runs out first
     */
    static <T> T awaitStart(CompletableFuture<T> future, StartContext ctx, Supplier<String> phase, String what, Supplier<String> lastState)
            throws InterruptedException {
        try {
            return future.get(Math.max(0, ctx.remaining().toNanos()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new SandboxTimeoutException(ctx.sandboxId(), ctx.timeout(), "sandbox " + ctx.sandboxId()
                    + " did not become ready within startupTimeout " + ctx.timeout() + " (timed out during phase '" + phase.get()
                    + "' waiting for " + what + "; last seen: " + lastState.get() + ")", e);
        } catch (ExecutionException e) {
            throw unwrap(e);
        } finally {
            future.cancel(true);
        }
    }

    /** Waits up to {@code timeout}; false when it ran out. */
    static boolean await(CompletableFuture<?> future, Duration timeout) throws InterruptedException {
        try {
            future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            throw unwrap(e);
        } finally {
            future.cancel(true);
        }
    }

    private static RuntimeException unwrap(ExecutionException e) {
        Throwable cause = e.getCause();
        if (cause instanceof RuntimeException r) {
            return r;
        }
        return new SandboxException("watching the API server failed: " + cause, cause);
    }
}
