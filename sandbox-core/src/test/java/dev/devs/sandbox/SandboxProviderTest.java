package dev.devs.sandbox;

import static dev.devs.sandbox.SandboxLifecycleEvent.Type.FAILED;
import static dev.devs.sandbox.SandboxLifecycleEvent.Type.KILLED;
import static dev.devs.sandbox.SandboxLifecycleEvent.Type.READY;
import static dev.devs.sandbox.SandboxLifecycleEvent.Type.STARTING;
import static dev.devs.sandbox.SandboxLifecycleEvent.Type.STOPPED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.devs.sandbox.tck.RecordingListener;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class SandboxProviderTest {
    private static final Instant T0 = Instant.parse("2026-11-26T17:45:51.123Z");

    private final ScriptedDriver driver = new ScriptedDriver();
    private final RecordingListener events = new RecordingListener();
    private final SandboxProvider provider = SandboxProvider.builder(driver)
            .clock(Clock.fixed(T0, ZoneOffset.UTC))
            .listener(events)
            .build();
    private final SandboxSpec spec = SandboxSpec.builder("img:1").build();

    @AfterEach
    void close() {
        provider.close();
    }

    @Test
    void successfulStartEmitsStartingThenReadyWithTimestampsDurationAndPhases() {
        Sandbox sandbox = provider.start(spec);

        assertThat(events.types()).containsExactly(STARTING, READY);
        SandboxLifecycleEvent.Starting starting = events.get(0, SandboxLifecycleEvent.Starting.class);
        SandboxLifecycleEvent.Ready ready = events.get(1, SandboxLifecycleEvent.Ready.class);
        assertThat(starting.sandboxId()).isEqualTo(sandbox.id()).startsWith("sbx-");
        assertThat(starting.timestamp()).isEqualTo(T0);
        assertThat(starting.provisioningStartedAt()).isEqualTo(T0);
        assertThat(ready.sandboxId()).isEqualTo(sandbox.id());
        assertThat(ready.driver()).isEqualTo("scripted");
        assertThat(ready.startType()).isEqualTo(StartType.WARM);
        assertThat(ready.provisioningStartedAt()).isEqualTo(T0);
        assertThat(ready.provisioningReadyAt()).isEqualTo(T0);
        assertThat(ready.duration()).isPositive().isEqualTo(sandbox.provisioningDuration());
        assertThat(ready.phases()).containsOnlyKeys("prepare", "boot");
        assertThat(List.copyOf(ready.phases().keySet())).containsExactly("prepare", "boot");
        assertThat(ready.attributes()).containsEntry("image", "img:1");
        assertThat(sandbox.startType()).isEqualTo(StartType.WARM);
        assertThat(provider.liveSandboxes()).containsExactly(sandbox);
    }

    @Test
    void failedStartEmitsStartingThenFailedAndThrowsTheDriversException() {
        SandboxStartException boom = new ImageNotFoundException(null, "img:1", "image 'img:1' not found", null);
        driver.failure = s -> boom;

        assertThatThrownBy(() -> provider.start(spec)).isSameAs(boom);

        assertThat(events.types()).containsExactly(STARTING, FAILED);
        SandboxLifecycleEvent.Failed failed = events.last(SandboxLifecycleEvent.Failed.class);
        assertThat(failed.error()).isSameAs(boom);
        assertThat(failed.duration()).isGreaterThanOrEqualTo(java.time.Duration.ZERO);
        assertThat(failed.startType()).as("the scripted driver fails before it decides the start type").isEmpty();
        assertThat(failed.sandboxId()).isEqualTo(events.events().get(0).sandboxId());
        assertThat(provider.liveSandboxes()).isEmpty();
    }

    @Test
    void unexpectedDriverExceptionIsWrappedNamingDriverAndSandbox() {
        driver.failure = s -> new IllegalStateException("socket closed");

        assertThatThrownBy(() -> provider.start(spec))
                .isInstanceOf(SandboxStartException.class)
                .hasMessageContaining("scripted")
                .hasMessageContaining("socket closed")
                .hasCauseInstanceOf(IllegalStateException.class);
        assertThat(events.types()).containsExactly(STARTING, FAILED);
        SandboxLifecycleEvent.Failed failed = events.last(SandboxLifecycleEvent.Failed.class);
        assertThat(failed.error().sandboxId()).isEqualTo(failed.sandboxId());
    }

    @Test
    void driverThatForgetsTheStartTypeFailsAndReleasesTheSandbox() {
        driver.startType = null;

        assertThatThrownBy(() -> provider.start(spec)).isInstanceOf(SandboxStartException.class)
                .hasMessageContaining("start type");
        assertThat(events.types()).containsExactly(STARTING, FAILED);
        assertThat(driver.stops).hasValue(1);
    }

    @Test
    void specRejectedByTheDriverThrowsBeforeAnyEventOrStart() {
        driver.rejectSpecs = true;

        assertThatThrownBy(() -> provider.start(spec)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("img:1");
        assertThat(events.events()).isEmpty();
        assertThat(driver.starts).hasValue(0);
    }

    @Test
    void stopEmitsStoppedOnceAndASecondStopEmitsNothing() {
        Sandbox sandbox = provider.start(spec);
        events.clear();

        assertThat(sandbox.stop()).isEqualTo(StopOutcome.STOPPED);
        assertThat(provider.stop(sandbox)).isEqualTo(StopOutcome.STOPPED);
        sandbox.close();

        assertThat(events.types()).containsExactly(STOPPED);
        SandboxLifecycleEvent.Stopped stopped = events.last(SandboxLifecycleEvent.Stopped.class);
        assertThat(stopped.duration()).isGreaterThanOrEqualTo(java.time.Duration.ZERO);
        assertThat(stopped.startType()).isEqualTo(StartType.WARM);
        assertThat(stopped.phases()).containsOnlyKeys("remove");
        assertThat(stopped.provisioningReadyAt()).isEqualTo(sandbox.provisioningReadyAt());
        assertThat(driver.stops).hasValue(1);
        assertThat(provider.liveSandboxes()).isEmpty();
        assertThat(sandbox.isAlive()).isFalse();
        assertThatThrownBy(() -> sandbox.exec("true")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(sandbox.id());
    }

    @Test
    void killedOutcomeEmitsKilled() {
        driver.stopOutcome = StopOutcome.KILLED;
        Sandbox sandbox = provider.start(spec);

        assertThat(sandbox.stop()).isEqualTo(StopOutcome.KILLED);
        assertThat(events.typesOf(sandbox.id())).containsExactly(STARTING, READY, KILLED);
    }

    @Test
    void stopThatFailsStillEmitsKilledWithTheErrorAndThrows() {
        driver.stopFailure = new IllegalStateException("engine went away");
        Sandbox sandbox = provider.start(spec);

        assertThatThrownBy(sandbox::stop).isInstanceOf(SandboxException.class).hasMessageContaining("engine went away");
        assertThat(events.typesOf(sandbox.id())).containsExactly(STARTING, READY, KILLED);
        assertThat(events.last(SandboxLifecycleEvent.Killed.class).error()).get(org.assertj.core.api.InstanceOfAssertFactories.THROWABLE)
                .hasMessageContaining("engine went away");
        // idempotent even after a failure: no second event, the same failure
        assertThatThrownBy(sandbox::stop).isInstanceOf(SandboxException.class);
        assertThat(events.typesOf(sandbox.id())).hasSize(3);
    }

    @Test
    void throwingListenerIsIsolatedFromTheProviderAndTheOtherListeners() {
        RecordingListener after = new RecordingListener();
        try (SandboxProvider p = SandboxProvider.builder(new ScriptedDriver())
                .listener(e -> { throw new RuntimeException("listener bug"); })
                .listener(after)
                .build()) {
            Sandbox sandbox = p.start(spec);
            sandbox.stop();
            assertThat(after.types()).containsExactly(STARTING, READY, STOPPED);
        }
    }

    @Test
    void closeStopsEveryLiveSandboxClosesTheDriverAndRefusesNewStarts() {
        Sandbox a = provider.start(spec);
        Sandbox b = provider.start(spec);

        provider.close();
        provider.close();

        assertThat(events.typesOf(a.id())).containsExactly(STARTING, READY, STOPPED);
        assertThat(events.typesOf(b.id())).containsExactly(STARTING, READY, STOPPED);
        assertThat(driver.closed).isTrue();
        assertThatThrownBy(() -> provider.start(spec)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void sandboxOfAnotherProviderIsRejected() {
        try (SandboxProvider other = SandboxProvider.of(new ScriptedDriver())) {
            Sandbox foreign = other.start(spec);
            assertThatThrownBy(() -> provider.stop(foreign)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(foreign.id());
        }
    }

    @Test
    void concurrentAsyncStartsEachGetTheirOwnIdAndExactlyOneTerminalEvent() {
        List<CompletableFuture<Sandbox>> futures = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            futures.add(provider.startAsync(spec));
        }
        CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).join();

        Set<String> ids = new HashSet<>();
        futures.forEach(f -> ids.add(f.join().id()));
        assertThat(ids).hasSize(20);
        for (String id : ids) {
            assertThat(events.typesOf(id)).containsExactly(STARTING, READY);
        }
    }

    @Test
    void asyncFailureCompletesTheFutureExceptionally() {
        driver.failure = s -> new SandboxStartException(null, "no");
        CompletableFuture<Sandbox> f = provider.startAsync(spec);

        assertThatThrownBy(f::join).hasCauseInstanceOf(SandboxStartException.class);
        assertThat(events.types()).containsExactly(STARTING, FAILED);
    }

    @Test
    void execRejectsAnEmptyCommand() {
        Sandbox sandbox = provider.start(spec);
        assertThatThrownBy(() -> sandbox.exec()).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty");
        assertThat(sandbox.exec("echo", "hi").stdout()).isEqualTo("cwd=null echo hi");
    }

    @Test
    void sessionIdDefaultsToTheJvmsAndIsValidated() {
        assertThat(provider.sessionId()).isEqualTo(SandboxProvider.JVM_SESSION_ID);
        assertThatThrownBy(() -> SandboxProvider.builder(driver).sessionId("bad id"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'bad id'");
    }

    @Test
    void closeDuringAnInFlightStartWaitsForItAndStopsItBeforeClosingTheDriver() throws Exception {
        driver.startGate = new CountDownLatch(1);
        CompletableFuture<Sandbox> start = provider.startAsync(spec);
        assertThat(driver.startEntered.await(5, TimeUnit.SECONDS)).isTrue();

        CompletableFuture<Void> close = CompletableFuture.runAsync(provider::close);
        // close() must not release the driver under a start that is still using it.
        assertThat(close).failsWithin(200, TimeUnit.MILLISECONDS);
        assertThat(driver.closed).isFalse();
        driver.startGate.countDown();
        close.get(5, TimeUnit.SECONDS);

        assertThat(driver.calls).containsExactly("stop", "close");
        assertThatThrownBy(start::join).hasCauseInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        String id = events.events().get(0).sandboxId();
        assertThat(events.typesOf(id)).containsExactly(STARTING, READY, STOPPED);
        assertThat(provider.liveSandboxes()).isEmpty();
    }

    @Test
    void listenerThrowingAnErrorIsIsolatedAndDoesNotLeaveALaterStopWaitingForever() {
        RecordingListener after = new RecordingListener();
        try (SandboxProvider p = SandboxProvider.builder(new ScriptedDriver())
                .listener(e -> { throw new AssertionError("listener bug on " + e.type()); })
                .listener(after)
                .build()) {
            Sandbox sandbox = p.start(spec);
            assertThat(sandbox.stop()).isEqualTo(StopOutcome.STOPPED);
            assertThat(sandbox.stop()).isEqualTo(StopOutcome.STOPPED);
            assertThat(after.types()).containsExactly(STARTING, READY, STOPPED);
        }
    }

    @Test
    void listenerAddedDuringAStartSeesNoHalfOfIt() throws Exception {
        driver.startGate = new CountDownLatch(1);
        CompletableFuture<Sandbox> start = provider.startAsync(spec);
        assertThat(driver.startEntered.await(5, TimeUnit.SECONDS)).isTrue();
        RecordingListener late = new RecordingListener();
        provider.addListener(late);
        driver.startGate.countDown();
        Sandbox sandbox = start.get(5, TimeUnit.SECONDS);

        // It subscribed after STARTING, so it sees nothing of this start; it does see the stop.
        assertThat(late.typesOf(sandbox.id())).isEmpty();
        sandbox.stop();
        assertThat(late.typesOf(sandbox.id())).containsExactly(STOPPED);
    }

    @Test
    void execRejectsANonPositiveTimeoutNamingIt() {
        Sandbox sandbox = provider.start(spec);
        assertThatThrownBy(() -> sandbox.exec(List.of("true"), Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("timeout PT0S");
        assertThatThrownBy(() -> sandbox.exec(List.of("true"), Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("timeout PT-1S");
    }

    @Test
    void warmUpStartsAndStopsOneSandboxThatNoListenerSeesAndLeavesNothingLive() {
        Duration took = provider.warmUp(spec);

        assertThat(took).isPositive();
        assertThat(driver.starts.get()).isEqualTo(1);
        assertThat(driver.stops.get()).isEqualTo(1);
        assertThat(events.types()).as("a warm-up is not a provisioning anyone measures").isEmpty();
        assertThat(provider.liveSandboxes()).isEmpty();

        provider.start(spec);
        assertThat(events.types()).containsExactly(STARTING, READY);
    }

    @Test
    void warmUpThatFailsThrowsLikeStartAndEmitsNothing() {
        SandboxStartException boom = new ImageNotFoundException(null, "img:1", "image 'img:1' not found", null);
        driver.failure = s -> boom;

        assertThatThrownBy(() -> provider.warmUp(spec)).isSameAs(boom);
        assertThat(events.types()).isEmpty();
        assertThat(provider.liveSandboxes()).isEmpty();
    }
}
