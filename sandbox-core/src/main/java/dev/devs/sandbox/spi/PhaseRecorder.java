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

    /**
     * Runs {@code step} as the phase {@code name} and records its duration whether it returns or throws, so that a
     * FAILED event shows how far the start got.
     */
    default <T> T timed(String name, Step<T> step) throws InterruptedException {
        long t0 = System.nanoTime();
        try {
            return step.run();
        } finally {
            recordPhase(name, System.nanoTime() - t0);
        }
    }

    /** {@link #timed(String, Step)} for a step that returns nothing. */
    default void timed(String name, VoidStep step) throws InterruptedException {
        long t0 = System.nanoTime();
        try {
            step.run();
        } finally {
            recordPhase(name, System.nanoTime() - t0);
        }
    }

    /** A phase's work, which may block. */
    @FunctionalInterface
    interface Step<T> {
        T run() throws InterruptedException;
    }

    /** A phase's work that returns nothing. */
    @FunctionalInterface
    interface VoidStep {
        void run() throws InterruptedException;
    }

    /** A running phase timer; {@link #close()} records it. */
    @FunctionalInterface
    interface Phase extends AutoCloseable {
        @Override
        void close();
    }
}
