package dev.devs.sandbox.tck;

import static dev.devs.sandbox.SandboxLifecycleEvent.Type.KILLED;
import static dev.devs.sandbox.SandboxLifecycleEvent.Type.READY;
import static dev.devs.sandbox.SandboxLifecycleEvent.Type.STARTING;
import static dev.devs.sandbox.SandboxLifecycleEvent.Type.STOPPED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.devs.sandbox.Sandbox;
import dev.devs.sandbox.SandboxException;
import dev.devs.sandbox.SandboxLifecycleEvent;
import dev.devs.sandbox.StopOutcome;
import dev.devs.sandbox.tck.SandboxDriverContract.Ability;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/**
 * The contract's checks of a stop (see {@link SandboxDriverContract}): one end per stop, also for two threads at once;
 * STOPPED or KILLED as the program behaved (SIGTERM obeyed or ignored, ended by itself or at its maxLifetime); a stop
 * retried after a failed release; and that a stopped sandbox leaves nothing.
 */
final class StopChecks {

    static void stopEmitsOneEndAndRemovesEverythingAndASecondStopEmitsNothing(SandboxDriverContract c) throws Exception {
        Sandbox sandbox = c.provider.start(c.runningSpec());

        StopOutcome first = sandbox.stop();
        StopOutcome second = sandbox.stop();

        assertThat(first).as("a program that exits on SIGTERM within its grace period").isEqualTo(StopOutcome.STOPPED);
        assertThat(second).isEqualTo(first);
        assertThat(c.events.typesOf(sandbox.id())).containsExactly(STARTING, READY, STOPPED);
        SandboxLifecycleEvent.Ended end = c.events.last(SandboxLifecycleEvent.Ended.class);
        assertThat(end.provisioningReadyAt()).isEqualTo(sandbox.provisioningReadyAt());
        assertThat(end.startType()).isEqualTo(sandbox.startType());
        assertThat(sandbox.isAlive()).isFalse();
        assertThat(c.provider.liveSandboxes()).isEmpty();
        c.assertNothingLeftBehind(sandbox.id());
    }

    static void twoThreadsStoppingAtOnceGetOneOutcomeAndOneEvent(SandboxDriverContract c) throws Exception {
        Sandbox sandbox = c.provider.start(c.runningSpec());
        CyclicBarrier together = new CyclicBarrier(2);
        List<CompletableFuture<StopOutcome>> stops = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            stops.add(CompletableFuture.supplyAsync(() -> {
                await(together);
                return sandbox.stop();
            }));
        }

        StopOutcome a = stops.get(0).get(Patience.seconds(60).toMillis(), TimeUnit.MILLISECONDS);
        StopOutcome b = stops.get(1).get(Patience.seconds(60).toMillis(), TimeUnit.MILLISECONDS);

        assertThat(a).isEqualTo(b).isEqualTo(StopOutcome.STOPPED);
        assertThat(c.events.typesOf(sandbox.id())).containsExactly(STARTING, READY, STOPPED);
        c.assertNothingLeftBehind(sandbox.id());
    }

    static void aProgramThatEndsByItselfIsNotAliveAndItsStopSaysKilled(SandboxDriverContract c) throws Exception {
        c.require(Ability.PROGRAM_ENDS_BY_ITSELF);
        Sandbox sandbox = c.provider.start(c.selfEndingSpec());
        assertThat(sandbox.isAlive()).isTrue();

        c.endTheProgram(sandbox);

        Awaitility.await().atMost(c.patience()).pollInterval(Duration.ofMillis(50)).until(() -> !sandbox.isAlive());
        assertThat(sandbox.stop()).as("the design's event contract: a sandbox that died on its own is KILLED").isEqualTo(StopOutcome.KILLED);
        assertThat(c.events.typesOf(sandbox.id())).containsExactly(STARTING, READY, KILLED);
        assertThat(c.events.last(SandboxLifecycleEvent.Killed.class).error()).as("no release failed").isEmpty();
        c.assertNothingLeftBehind(sandbox.id());
    }

    static void aProgramThatIgnoresSigtermIsKilledAfterTheGracePeriod(SandboxDriverContract c) throws Exception {
        c.require(Ability.SIGTERM);
        Sandbox sandbox = c.provider.start(c.sigtermIgnoringSpec(Duration.ofSeconds(1)));

        assertThat(sandbox.stop()).isEqualTo(StopOutcome.KILLED);

        assertThat(c.events.typesOf(sandbox.id())).containsExactly(STARTING, READY, KILLED);
        assertThat(c.events.last(SandboxLifecycleEvent.Killed.class).error()).as("no release failed").isEmpty();
        c.assertNothingLeftBehind(sandbox.id());
    }

    static void aProgramThatExitsOnSigtermIsStopped(SandboxDriverContract c) throws Exception {
        c.require(Ability.SIGTERM);
        // A grace period far longer than the exit takes: only a driver that never asked, or misreads the exit, fails.
        Sandbox sandbox = c.provider.start(c.runningSpec().toBuilder().stopGracePeriod(Duration.ofSeconds(30)).build());

        assertThat(sandbox.stop()).isEqualTo(StopOutcome.STOPPED);

        assertThat(c.events.typesOf(sandbox.id())).containsExactly(STARTING, READY, STOPPED);
        c.assertNothingLeftBehind(sandbox.id());
    }

    static void aStopRetriedAfterAFailedReleaseReleasesTheSandboxWithoutASecondEvent(SandboxDriverContract c) throws Exception {
        // One sandbox whose first release fails before the driver is asked, one whose first release fails after the
        // driver released it: the retry must release the first, and count the second's absence as released.
        Sandbox before = c.provider.start(c.runningSpec());
        Sandbox after = c.provider.start(c.runningSpec());
        c.faults.failReleaseOnce(before.id(), false);
        c.faults.failReleaseOnce(after.id(), true);

        for (Sandbox sandbox : List.of(before, after)) {
            assertThatThrownBy(sandbox::stop).isInstanceOf(SandboxException.class).hasMessageContaining(ReleaseFaultDriver.PLANTED);
            assertThat(c.events.typesOf(sandbox.id())).containsExactly(STARTING, READY, KILLED);
            assertThat(c.events.last(SandboxLifecycleEvent.Killed.class).error()).isPresent();

            StopOutcome retried = sandbox.stop();

            assertThat(retried).as("the retry's outcome").isEqualTo(StopOutcome.KILLED);
            assertThat(c.events.typesOf(sandbox.id())).as("no second event").containsExactly(STARTING, READY, KILLED);
            assertThat(c.faults.releases(sandbox.id())).as("stops asked of the driver").isEqualTo(2);
            c.assertNothingLeftBehind(sandbox.id());
        }
    }

    static void aSandboxEndsByItselfAtItsMaxLifetime(SandboxDriverContract c) throws Exception {
        c.require(Ability.MAX_LIFETIME);
        Sandbox sandbox = c.provider.start(c.runningSpec().toBuilder().maxLifetime(c.reachableMaxLifetime()).build());

        Awaitility.await().atMost(c.patience()).pollInterval(Duration.ofMillis(100)).until(() -> !sandbox.isAlive());

        assertThat(sandbox.stop()).as("it ended at its maxLifetime, not on request").isEqualTo(StopOutcome.KILLED);
        assertThat(c.events.typesOf(sandbox.id())).containsExactly(STARTING, READY, KILLED);
        c.assertNothingLeftBehind(sandbox.id());
    }

    private static void await(CyclicBarrier barrier) {
        try {
            barrier.await(Patience.seconds(30).toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("the two stops did not line up", e);
        }
    }

    private StopChecks() {
    }
}
