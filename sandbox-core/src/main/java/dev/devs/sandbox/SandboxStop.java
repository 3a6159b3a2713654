package dev.devs.sandbox;

import java.time.Clock;
import java.time.Duration;

/**
 * One stop of a live sandbox, after the provider claimed it: the driver's release, the STOPPED or KILLED event,
 * and the outcome every later {@code stop()} of the same sandbox returns. A release that failed emits KILLED with
 * the error, is remembered in {@link ReleaseRetries} for a retry, and is thrown.
 */
final class SandboxStop {
    private SandboxStop() {
    }

    static StopOutcome run(Sandbox sandbox, String driver, Clock clock, SandboxLifecycleListener subscribers,
                           ReleaseRetries unreleased) {
        PhaseTimes phases = new PhaseTimes();
        long t0 = System.nanoTime();
        StopOutcome outcome = StopOutcome.KILLED;
        SandboxException failure = null;
        try {
            outcome = sandbox.handle.stop(sandbox.spec().stopGracePeriod(), phases);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure = new SandboxException("stop of sandbox " + sandbox.id() + " was interrupted", e);
        } catch (RuntimeException | Error e) {
            failure = e instanceof SandboxException se ? se
                    : new SandboxException("stop of sandbox " + sandbox.id() + " failed: " + e, e);
        }
        SandboxLifecycleEvent event = phases.stopEvent(sandbox, driver, outcome, failure,
                Duration.ofNanos(System.nanoTime() - t0), clock.instant());
        try {
            subscribers.onEvent(event);
        } finally {
            // Whatever happens above, a later stop() waits on this and must not wait forever.
            if (failure != null) {
                unreleased.add(sandbox);
                sandbox.stopped.completeExceptionally(failure);
            } else {
                sandbox.stopped.complete(outcome);
            }
        }
        if (failure != null) {
            throw failure;
        }
        return outcome;
    }
}
