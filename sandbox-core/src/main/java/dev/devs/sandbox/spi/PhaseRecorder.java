package dev.devs.sandbox.spi;

import dev.devs.sandbox.SandboxLifecycleEvent;

/**
 * Where a driver records how long each phase of a start or a stop took, in the order the phases ran.
 * The provider puts them on the lifecycle event ({@link SandboxLifecycleEvent.Timed#phases()}).
 */
public interface PhaseRecorder {

    /** Adds a phase that took {@code nanos}; a repeated name adds to the earlier one. */
    void recordPhase(String name, long nanos);

    /**
     * Starts timing a phase; closing the returned handle records it. Use with try-with-resources:
     * <pre>{@code try (var p = ctx.phase("create")) { ... } }</pre>
     */
    default Phase phase(String name) {
        long t0 = System.nanoTime();
        return () -> recordPhase(name, System.nanoTime() - t0);
    }

    /** A running phase timer; {@link #close()} records it. */
    @FunctionalInterface
    interface Phase extends AutoCloseable {
        @Override
        void close();
    }
}
