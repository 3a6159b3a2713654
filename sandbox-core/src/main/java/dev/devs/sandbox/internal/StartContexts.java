package dev.devs.sandbox.internal;

import dev.devs.sandbox.spi.StartContext;
import java.lang.invoke.MethodHandles;
import java.time.Duration;
import java.util.Objects;

/**
 * Makes {@link StartContext}s, whose constructor is not public: the provider makes one per start, and the driver
 * contract suite one for a test that calls a driver directly. Not API.
 */
public final class StartContexts {

    /** The constructor, handed over by {@link StartContext}'s static initialiser. */
    public interface Factory {
        StartContext create(String sandboxId, String sessionId, long startNanos, Duration timeout);
    }

    private static volatile Factory factory;

    private StartContexts() {
    }

    /** Called once, by {@link StartContext}. */
    public static void register(Factory constructor) {
        factory = Objects.requireNonNull(constructor, "constructor");
    }

    /** A context for one start; see {@link StartContext}'s accessors for the meaning of each value. */
    public static StartContext create(String sandboxId, String sessionId, long startNanos, Duration timeout) {
        Factory f = factory;
        if (f == null) {
            try {
                MethodHandles.lookup().ensureInitialized(StartContext.class);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException("cannot initialise " + StartContext.class.getName(), e);
            }
            f = factory;
        }
        return f.create(sandboxId, sessionId, startNanos, timeout);
    }
}
