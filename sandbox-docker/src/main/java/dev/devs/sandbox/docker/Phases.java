package dev.devs.sandbox.docker;

import dev.devs.sandbox.spi.PhaseRecorder;

/** Times one phase of a start into its recorder, whether the phase succeeds or throws. */
final class Phases {

    private Phases() {
    }

    /** A phase's work. */
    @FunctionalInterface
    interface Work<T> {
        T run() throws InterruptedException;
    }

    /** A phase's work that returns nothing. */
    @FunctionalInterface
    interface VoidWork {
        void run() throws InterruptedException;
    }

    static <T> T timed(PhaseRecorder phases, String name, Work<T> work) throws InterruptedException {
        PhaseRecorder.Phase phase = phases.phase(name);
        try {
            return work.run();
        } finally {
            phase.close();
        }
    }

    static void timed(PhaseRecorder phases, String name, VoidWork work) throws InterruptedException {
        PhaseRecorder.Phase phase = phases.phase(name);
        try {
            work.run();
        } finally {
            phase.close();
        }
    }
}
