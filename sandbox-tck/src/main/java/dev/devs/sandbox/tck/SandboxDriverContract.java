package dev.devs.sandbox.tck;

import static dev.devs.sandbox.SandboxLifecycleEvent.Type.FAILED;
import static dev.devs.sandbox.SandboxLifecycleEvent.Type.KILLED;
import static dev.devs.sandbox.SandboxLifecycleEvent.Type.READY;
import static dev.devs.sandbox.SandboxLifecycleEvent.Type.STARTING;
import static dev.devs.sandbox.SandboxLifecycleEvent.Type.STOPPED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.devs.sandbox.ExecResult;
import dev.devs.sandbox.Sandbox;
import dev.devs.sandbox.spi.SandboxDriver;
import dev.devs.sandbox.SandboxException;
import dev.devs.sandbox.SandboxLifecycleEvent;
import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.SandboxStartException;
import dev.devs.sandbox.StopOutcome;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The contract every {@link SandboxDriver} must pass, run against the real technology behind it. A driver
 * module subclasses it in its tests and says how to make a driver, which specs are good and bad, and how to
 * see what a sandbox left behind; a new driver that passes it keeps the lifecycle event contract
 * (docs/design.md, "Lifecycle event contract") without any test of its own for it.
 *
 * <p>What it checks: the exact event order of a start, a failed start and a stop; one READY or FAILED per
 * start and one STOPPED or KILLED per stop, also when two threads stop at once; an idempotent stop; a spec
 * the driver rejects throws before STARTING; an interrupted start fails, keeps the caller's interrupt and
 * leaves nothing; {@code close()} with starts in flight and live sandboxes together, and from inside a
 * listener, leaves nothing; a listener removed mid-run sees the whole of the start it was subscribed for. Its
 * superclass {@link WorkingSurfaceContract} checks the working surface (processes, terminals, files, ports) and the
 * refusal of every capability the driver does not declare.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
public abstract class SandboxDriverContract extends WorkingSurfaceContract {

    /** A new driver; the provider made from it owns and closes it. */
    protected abstract SandboxDriver newDriver() throws Exception;

    /** A spec that starts a sandbox running until it is stopped. */
    protected abstract SandboxSpec runningSpec();

    /** A spec the driver accepts in {@code validate} but whose start fails (e.g. an image that does not exist). */
    protected abstract SandboxSpec failingSpec();

    /** A spec the driver rejects in {@code validate}, before any event. */
    protected abstract SandboxSpec rejectedSpec();

    /**
     * A command that prints {@link #execOutput()} on standard output inside a {@link #runningSpec()} sandbox;
     * {@code echo contract} unless a driver's sandboxes lack {@code echo}.
     */
    protected List<String> execCommand() {
        return List.of("echo", "contract");
    }

    /** What {@link #execCommand()} prints, trimmed. */
    protected String execOutput() {
        return "contract";
    }

    /**
     * Fails (with an {@link AssertionError} naming it) if anything the start of {@code sandboxId} created still
     * exists: containers, volumes, browser contexts, processes.
     */
    protected abstract void assertNothingLeftBehind(String sandboxId) throws Exception;

    protected RecordingListener events;
    protected SandboxProvider provider;

    @BeforeEach
    void openProvider() throws Exception {
        events = new RecordingListener();
        provider = SandboxProvider.builder(newDriver()).listener(events).build();
    }

    /** The working-surface checks start their sandboxes here too, so that the cleanup checks below cover them. */
    @Override
    protected SandboxProvider surfaceProvider() {
        return provider;
    }

    @AfterEach
    void closeProvider() throws Exception {
        provider.close();
        for (String id : sandboxIds()) {
            assertNothingLeftBehind(id);
        }
    }

    @Test
    void startEmitsStartingThenReadyAndTheSandboxRuns() {
        Sandbox sandbox = provider.start(runningSpec());

        assertThat(events.typesOf(sandbox.id())).containsExactly(STARTING, READY);
        SandboxLifecycleEvent.Starting starting = events.get(0, SandboxLifecycleEvent.Starting.class);
        SandboxLifecycleEvent.Ready ready = events.get(1, SandboxLifecycleEvent.Ready.class);
        assertThat(ready.driver()).isEqualTo(provider.driverName()).isEqualTo(starting.driver());
        assertThat(ready.provisioningStartedAt()).isEqualTo(starting.provisioningStartedAt());
        assertThat(ready.provisioningReadyAt()).isAfterOrEqualTo(ready.provisioningStartedAt());
        assertThat(ready.duration()).isPositive().isEqualTo(sandbox.provisioningDuration());
        assertThat(ready.startType()).isEqualTo(sandbox.startType());
        assertThat(sandbox.isAlive()).isTrue();
        ExecResult result = sandbox.exec(execCommand(), Duration.ofSeconds(30));
        assertThat(result.exitCode()).as("exit code of %s", execCommand()).isZero();
        assertThat(result.stdout().trim()).isEqualTo(execOutput());
    }

    @Test
    void failedStartEmitsStartingThenFailedAndLeavesNothing() throws Exception {
        assertThatThrownBy(() -> provider.start(failingSpec())).isInstanceOf(SandboxStartException.class);

        assertThat(events.types()).containsExactly(STARTING, FAILED);
        SandboxLifecycleEvent.Failed failed = events.last(SandboxLifecycleEvent.Failed.class);
        assertThat(failed.error().sandboxId()).isEqualTo(failed.sandboxId());
        assertThat(failed.error().getMessage()).as("a failure names what went wrong").isNotBlank();
        assertThat(provider.liveSandboxes()).isEmpty();
        assertNothingLeftBehind(failed.sandboxId());
    }

    @Test
    void rejectedSpecThrowsBeforeAnyEvent() {
        assertThatThrownBy(() -> provider.start(rejectedSpec())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageNotContaining("null");

        assertThat(events.events()).isEmpty();
        assertThat(provider.liveSandboxes()).isEmpty();
    }

    @Test
    void stopEmitsOneEndAndRemovesEverythingAndASecondStopEmitsNothing() throws Exception {
        Sandbox sandbox = provider.start(runningSpec());

        StopOutcome first = sandbox.stop();
        StopOutcome second = sandbox.stop();

        assertThat(second).isEqualTo(first);
        assertThat(events.typesOf(sandbox.id())).containsExactly(STARTING, READY, first == StopOutcome.STOPPED ? STOPPED : KILLED);
        SandboxLifecycleEvent.Ended end = events.last(SandboxLifecycleEvent.Ended.class);
        assertThat(end.provisioningReadyAt()).isEqualTo(sandbox.provisioningReadyAt());
        assertThat(end.startType()).isEqualTo(sandbox.startType());
        assertThat(sandbox.isAlive()).isFalse();
        assertThat(provider.liveSandboxes()).isEmpty();
        assertNothingLeftBehind(sandbox.id());
    }

    @Test
    void twoThreadsStoppingAtOnceGetOneOutcomeAndOneEvent() throws Exception {
        Sandbox sandbox = provider.start(runningSpec());
        CyclicBarrier together = new CyclicBarrier(2);
        List<CompletableFuture<StopOutcome>> stops = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            stops.add(CompletableFuture.supplyAsync(() -> {
                await(together);
                return sandbox.stop();
            }));
        }

        StopOutcome a = stops.get(0).get(60, TimeUnit.SECONDS);
        StopOutcome b = stops.get(1).get(60, TimeUnit.SECONDS);

        assertThat(a).isEqualTo(b);
        assertThat(events.typesOf(sandbox.id())).hasSize(3).endsWith(a == StopOutcome.STOPPED ? STOPPED : KILLED);
        assertNothingLeftBehind(sandbox.id());
    }

    @Test
    void interruptedStartFailsKeepsTheInterruptAndLeavesNothing() throws Exception {
        // Listeners run on the caller's thread: interrupting it on STARTING interrupts the start itself, at a
        // moment that does not depend on timing.
        provider.addListener(e -> {
            if (e.type() == STARTING) {
                Thread.currentThread().interrupt();
            }
        });

        boolean interruptedAfter;
        try {
            assertThatThrownBy(() -> provider.start(runningSpec())).isInstanceOf(SandboxStartException.class);
        } finally {
            interruptedAfter = Thread.interrupted();
        }

        assertThat(interruptedAfter).as("the caller's interrupt is kept, never eaten").isTrue();
        assertThat(events.types()).containsExactly(STARTING, FAILED);
        assertThat(provider.liveSandboxes()).isEmpty();
        assertNothingLeftBehind(events.last().sandboxId());
    }

    @Test
    void closeWithStartsInFlightAndLiveSandboxesLeavesNothing() throws Exception {
        Sandbox live = provider.start(runningSpec());
        int inFlight = 3;
        CountDownLatch started = new CountDownLatch(inFlight);
        provider.addListener(e -> {
            if (e.type() == STARTING) {
                started.countDown();
            }
        });
        List<CompletableFuture<Sandbox>> starts = new ArrayList<>();
        for (int i = 0; i < inFlight; i++) {
            starts.add(provider.startAsync(runningSpec()));
        }
        assertThat(started.await(60, TimeUnit.SECONDS)).as("all starts began").isTrue();

        provider.close();

        assertThat(live.isAlive()).isFalse();
        // close() waited for the starts themselves; their futures complete right after, on the executor's threads.
        CompletableFuture.allOf(starts.toArray(CompletableFuture[]::new)).handle((v, e) -> null).get(60, TimeUnit.SECONDS);
        for (CompletableFuture<Sandbox> start : starts) {
            if (!start.isCompletedExceptionally()) {
                assertThat(start.join().isAlive()).as("a sandbox that finished starting before close is stopped by it").isFalse();
            }
        }
        assertEverySandboxEnded();
        assertThatThrownBy(() -> provider.start(runningSpec())).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
    }

    @Test
    void closeFromInsideAListenerStopsEverything() throws Exception {
        AtomicReference<Throwable> closeFailure = new AtomicReference<>();
        CountDownLatch closed = new CountDownLatch(1);
        provider.addListener(e -> {
            if (e.type() == READY) {
                try {
                    provider.close();
                } catch (Throwable t) {
                    closeFailure.set(t);
                } finally {
                    closed.countDown();
                }
            }
        });

        assertThatThrownBy(() -> provider.start(runningSpec())).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");

        assertThat(closed.await(60, TimeUnit.SECONDS)).isTrue();
        assertThat(closeFailure.get()).isNull();
        assertEverySandboxEnded();
    }

    @Test
    void listenerRemovedMidRunSeesTheWholeStartItWasSubscribedFor() throws Exception {
        RecordingListener removed = new RecordingListener();
        AtomicReference<AutoCloseable> subscription = new AtomicReference<>();
        subscription.set(provider.addListener(e -> {
            removed.onEvent(e);
            if (e.type() == STARTING) {
                close(subscription.get());
            }
        }));

        Sandbox first = provider.start(runningSpec());
        first.stop();
        Sandbox second = provider.start(runningSpec());

        assertThat(removed.typesOf(first.id())).containsExactly(STARTING, READY);
        assertThat(removed.eventsOf(second.id())).isEmpty();
        assertThat(events.typesOf(second.id())).containsExactly(STARTING, READY);
    }

    /** Every sandbox seen ended its start with READY or FAILED once, and every READY was followed by one end. */
    protected void assertEverySandboxEnded() throws Exception {
        for (String id : sandboxIds()) {
            List<SandboxLifecycleEvent.Type> types = events.typesOf(id);
            assertThat(types).as("events of %s", id).first().isEqualTo(STARTING);
            if (types.contains(READY)) {
                assertThat(types).as("events of %s", id).hasSize(3);
                assertThat(types.get(2)).as("events of %s", id).isIn(STOPPED, KILLED);
            } else {
                assertThat(types).as("events of %s", id).containsExactly(STARTING, FAILED);
            }
            assertNothingLeftBehind(id);
        }
    }

    private Set<String> sandboxIds() {
        return events.events().stream().map(SandboxLifecycleEvent::sandboxId).collect(Collectors.toCollection(java.util.LinkedHashSet::new));
    }

    private static void await(CyclicBarrier barrier) {
        try {
            barrier.await(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("the two stops did not line up", e);
        }
    }

    private static void close(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            throw new SandboxException("unsubscribing failed", e);
        }
    }
}
