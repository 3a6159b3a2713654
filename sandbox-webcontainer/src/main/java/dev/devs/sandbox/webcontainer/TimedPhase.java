package dev.devs.sandbox.webcontainer;

import dev.devs.sandbox.spi.PhaseRecorder;

/**
 * Runs one step of a start or a stop and records its duration as a phase, whether it succeeds or throws (a FAILED
 * event shows how far the start got).
 */
final class TimedPhase {

    /** A step that may block. */
    @FunctionalInterface
    interface Step<T> {
        T run() throws InterruptedException;
    }

    private TimedPhase() {
    }

    static <T> T run(PhaseRecorder phases, String name, Step<T> step) throws InterruptedException {
        long t0 = System.nanoTime();
        try {
            return step.run();
        } finally {
            phases.recordPhase(name, System.nanoTime() - t0);
        }
    }
}
