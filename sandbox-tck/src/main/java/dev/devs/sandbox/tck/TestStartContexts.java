package dev.devs.sandbox.tck;

import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.internal.StartContexts;
import dev.devs.sandbox.spi.StartContext;
import java.time.Duration;

/**
 * Start contexts for a driver's tests that call {@code SandboxDriver.start} directly, without a provider (to start
 * two sandboxes at once on one thread's terms, or a closed driver). In production only the provider makes them.
 */
public final class TestStartContexts {

    private TestStartContexts() {
    }

    /**
     * A context whose startup timeout starts running now, in this JVM's session ({@link SandboxProvider#JVM_SESSION_ID}).
     */
    public static StartContext of(String sandboxId, Duration timeout) {
        return of(sandboxId, SandboxProvider.JVM_SESSION_ID, timeout);
    }

    /** A context whose startup timeout starts running now, with resources labelled with {@code sessionId}. */
    public static StartContext of(String sandboxId, String sessionId, Duration timeout) {
        return StartContexts.create(sandboxId, sessionId, System.nanoTime(), timeout);
    }
}
