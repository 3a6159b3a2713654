package dev.devs.sandbox.tck;

import static dev.devs.sandbox.SandboxLifecycleEvent.Type.FAILED;
import static dev.devs.sandbox.SandboxLifecycleEvent.Type.KILLED;
import static dev.devs.sandbox.SandboxLifecycleEvent.Type.READY;
import static dev.devs.sandbox.SandboxLifecycleEvent.Type.STARTING;
import static dev.devs.sandbox.SandboxLifecycleEvent.Type.STOPPED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import org.awaitility.Awaitility;

import dev.devs.sandbox.ExecResult;
import dev.devs.sandbox.Sandbox;
import dev.devs.sandbox.spi.SandboxDriver;
import dev.devs.sandbox.SandboxException;
import dev.devs.sandbox.SandboxExecTimeoutException;
import dev.devs.sandbox.SandboxLifecycleEvent;
import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.SandboxStartException;
import dev.devs.sandbox.SandboxExecTimeoutException;
import dev.devs.sandbox.SandboxTimeoutException;
import dev.devs.sandbox.StopOutcome;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
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
 * start and one end per stop, also when two threads stop at once, and which end: STOPPED for a program that exits on
 * SIGTERM, KILLED for one that ignores it past the grace period and for one that ended by itself or at its
 * {@code maxLifetime}; an idempotent stop and {@code close()}; a spec the driver rejects throws before STARTING and
 * leaves nothing; a start that cannot become ready fails with a {@link SandboxTimeoutException} at its startup
 * timeout; exec's exit codes, standard error and timeout (the sandbox stays usable); the spec's env and working
 * directory; a stop retried after a release that failed; an interrupted start fails, keeps the caller's interrupt and
 * leaves nothing; {@code close()} with starts in flight and live sandboxes together, and from inside a listener,
 * leaves nothing; a listener removed mid-run sees the whole of the start it was subscribed for. Its superclass
 * {@link WorkingSurfaceContract} checks the working surface (processes, terminals, files, ports) and the refusal of
 * every capability the driver does not declare.
 *
 * <p>A driver that cannot do what a check needs opts out of that check, never silently: it overrides
 * {@link #cannot(Ability)} to say why, and the check is reported as aborted with that reason. Every deadline here is
 * a generous bound for a slow machine ({@link #patience()}), never a measurement.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
public abstract class SandboxDriverContract extends WorkingSurfaceContract {

    /**
     * The most any wait here gives a driver for something that should take a moment: generous for a slow machine.
     * A suite that plants a defect may shorten it to see the check fail sooner.
     */
    protected Duration patience() {
        return Patience.seconds(60);
    }

    /**
     * The exec timeout {@link #execTimeoutThrowsAndTheSandboxStaysUsable()} lets run out on purpose: long enough for
     * the driver to have launched the command, so that the check sees a command that ran past it. Two seconds unless
     * a driver whose exec is in-process shortens it (each check that lets a timeout run out waits it in full).
     */
    protected Duration expiringExecTimeout() {
        return Duration.ofSeconds(2);
    }

    /**
     * The startup timeout {@link #aStartThatCannotBecomeReadyFailsWithATimeoutAtItsStartupTimeout()} lets run out on
     * purpose: long enough for the driver to reach its readiness wait. Three seconds unless a driver shortens it.
     */
    protected Duration expiringStartupTimeout() {
        return Duration.ofSeconds(3);
    }

    /**
     * The maxLifetime {@link #aSandboxEndsByItselfAtItsMaxLifetime()} waits out: longer than a start of
     * {@link #runningSpec()} takes, so that the sandbox becomes ready before it ends. Two seconds unless a driver
     * shortens it.
     */
    protected Duration reachableMaxLifetime() {
        return Duration.ofSeconds(2);
    }

    /** What some checks need of a driver; a driver lacking one says why in {@link #cannot(Ability)}. */
    public enum Ability {
        /** exec returns the command's standard error apart from its standard output. */
        SEPARATE_STDERR,
        /** stop asks the sandbox's program to exit with SIGTERM, waits the grace period, then kills it. */
        SIGTERM,
        /** {@link #endTheProgram(Sandbox)} can end a sandbox's program from inside, and the driver sees it ended. */
        PROGRAM_ENDS_BY_ITSELF,
        /** exec runs with the spec's env. */
        ENV,
        /** exec runs in the spec's working directory. */
        WORKDIR,
        /** the sandbox ends by itself once its spec's maxLifetime has passed. */
        MAX_LIFETIME
    }

    /**
     * Why this driver cannot do {@code ability}, or empty if it can (the default). A non-empty answer turns every
     * check that needs it into an aborted test showing the reason: a driver opts out explicitly, never silently.
     */
    protected Optional<String> cannot(Ability ability) {
        return Optional.empty();
    }

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

    /** A command that writes {@link #failingExecError()} and exits with {@link #failingExecExitCode()}. */
    protected List<String> failingExecCommand() {
        return List.of("sh", "-c", "echo contract-error >&2; exit 3");
    }

    /** The exit code of {@link #failingExecCommand()}; never 0. */
    protected int failingExecExitCode() {
        return 3;
    }

    /** What {@link #failingExecCommand()} writes on standard error (on standard output where the driver merges them). */
    protected String failingExecError() {
        return "contract-error";
    }

    /** A command that runs far longer than any check waits, until it is killed. */
    protected List<String> hangingExecCommand() {
        return List.of("sleep", "600");
    }

    /** A spec the driver accepts whose start never becomes ready, with the given startup timeout. */
    protected SandboxSpec neverReadySpec(Duration startupTimeout) {
        return runningSpec().toBuilder().readinessProbe("false").startupTimeout(startupTimeout).build();
    }

    /** A running spec whose program ignores SIGTERM, with the given grace period. */
    protected SandboxSpec sigtermIgnoringSpec(Duration gracePeriod) {
        return runningSpec().toBuilder().command("sh", "-c", "trap '' TERM; while :; do sleep 1; done")
                .stopGracePeriod(gracePeriod).build();
    }

    /** A running spec whose program runs until {@link #endTheProgram(Sandbox)} ends it. */
    protected SandboxSpec selfEndingSpec() {
        SandboxSpec running = runningSpec();
        return running.toBuilder().command("sh", "-c", "while [ ! -e " + running.workDir() + "/contract-end ]; do sleep 0.1; done").build();
    }

    /** Makes the program of a {@link #selfEndingSpec()} sandbox end by itself. */
    protected void endTheProgram(Sandbox sandbox) {
        ExecResult r = sandbox.exec(List.of("touch", sandbox.spec().workDir() + "/contract-end"), patience());
        assertThat(r.exitCode()).as("touch the end file (stderr '%s')", r.stderr()).isZero();
    }

    /** A command printing the value of env variable {@code CONTRACT_ENV} as {@code CONTRACT_ENV=<value>}. */
    protected List<String> envCommand() {
        return List.of("sh", "-c", "echo CONTRACT_ENV=$CONTRACT_ENV");
    }

    /** A command printing its working directory. */
    protected List<String> pwdCommand() {
        return List.of("pwd");
    }

    /**
     * Fails (with an {@link AssertionError} naming it) if anything labelled with {@code sessionId}, the session of the
     * provider this contract made, still exists.
     */
    protected abstract void assertNothingLeftOfSession(String sessionId) throws Exception;

    /**
     * Fails (with an {@link AssertionError} naming it) if anything the start of {@code sandboxId} created still
     * exists: containers, volumes, browser contexts, processes.
     */
    protected abstract void assertNothingLeftBehind(String sandboxId) throws Exception;

    protected RecordingListener events;
    protected SandboxProvider provider;
    /** The driver the provider owns, behind a wrapper that passes every call through unless a check plants a fault. */
    private ReleaseFaultDriver faults;

    @BeforeEach
    void openProvider() throws Exception {
        events = new RecordingListener();
        faults = new ReleaseFaultDriver(newDriver());
        provider = SandboxProvider.builder(faults).listener(events).sessionId("contract-" + UUID.randomUUID()).build();
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
        assertNothingLeftOfSession(provider.sessionId());
    }

    private void require(Ability ability) {
        cannot(ability).ifPresent(why -> Assumptions.abort(provider.driverName() + " opts out of this check ("
                + ability + "): " + why));
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
        ExecResult result = sandbox.exec(execCommand(), Patience.seconds(30));
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
    void rejectedSpecThrowsBeforeAnyEventAndLeavesNothing() throws Exception {
        assertThatThrownBy(() -> provider.start(rejectedSpec())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageNotContaining("null");

        assertThat(events.events()).isEmpty();
        assertThat(provider.liveSandboxes()).isEmpty();
        assertNothingLeftOfSession(provider.sessionId());
    }

    @Test
    void stopEmitsOneEndAndRemovesEverythingAndASecondStopEmitsNothing() throws Exception {
        Sandbox sandbox = provider.start(runningSpec());

        StopOutcome first = sandbox.stop();
        StopOutcome second = sandbox.stop();

        assertThat(first).as("a program that exits on SIGTERM within its grace period").isEqualTo(StopOutcome.STOPPED);
        assertThat(second).isEqualTo(first);
        assertThat(events.typesOf(sandbox.id())).containsExactly(STARTING, READY, STOPPED);
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

        StopOutcome a = stops.get(0).get(Patience.seconds(60).toMillis(), TimeUnit.MILLISECONDS);
        StopOutcome b = stops.get(1).get(Patience.seconds(60).toMillis(), TimeUnit.MILLISECONDS);

        assertThat(a).isEqualTo(b).isEqualTo(StopOutcome.STOPPED);
        assertThat(events.typesOf(sandbox.id())).containsExactly(STARTING, READY, STOPPED);
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
        assertThat(started.await(Patience.seconds(60).toMillis(), TimeUnit.MILLISECONDS)).as("all starts began").isTrue();

        provider.close();

        assertThat(live.isAlive()).isFalse();
        assertThat(starts).hasSize(inFlight);
        // close() waited for the starts themselves; their futures complete right after, on the executor's threads.
        CompletableFuture.allOf(starts.toArray(CompletableFuture[]::new)).handle((v, e) -> null).get(Patience.seconds(60).toMillis(), TimeUnit.MILLISECONDS);
        for (CompletableFuture<Sandbox> start : starts) {
            if (!start.isCompletedExceptionally()) {
                assertThat(start.join().isAlive()).as("a sandbox that finished starting before close is stopped by it").isFalse();
            }
        }
        assertEverySandboxEnded(1 + inFlight);
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

        assertThat(closed.await(Patience.seconds(60).toMillis(), TimeUnit.MILLISECONDS)).isTrue();
        assertThat(closeFailure.get()).isNull();
        assertEverySandboxEnded(1);
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

    @Test
    void execReportsExitCodesAndStandardError() {
        Sandbox sandbox = provider.start(runningSpec());

        ExecResult ok = sandbox.exec(execCommand(), patience());
        ExecResult failed = sandbox.exec(failingExecCommand(), patience());

        assertThat(ok.exitCode()).as("exit code of %s", execCommand()).isZero();
        assertThat(failed.exitCode()).as("exit code of %s", failingExecCommand()).isEqualTo(failingExecExitCode()).isNotZero();
        if (cannot(Ability.SEPARATE_STDERR).isPresent()) {
            assertThat(failed.stdout() + failed.stderr()).as("output of %s", failingExecCommand()).contains(failingExecError());
        } else {
            assertThat(failed.stderr()).as("stderr of %s", failingExecCommand()).contains(failingExecError());
            assertThat(failed.stdout()).as("stdout of %s", failingExecCommand()).doesNotContain(failingExecError());
        }
    }

    @Test
    void execTimeoutThrowsAndTheSandboxStaysUsable() {
        Sandbox sandbox = provider.start(runningSpec());

        assertThatThrownBy(() -> sandbox.exec(hangingExecCommand(), expiringExecTimeout()))
                .isInstanceOf(SandboxExecTimeoutException.class);

        assertThat(sandbox.isAlive()).as("alive after an exec timed out").isTrue();
        ExecResult after = sandbox.exec(execCommand(), patience());
        assertThat(after.exitCode()).isZero();
        assertThat(after.stdout().trim()).isEqualTo(execOutput());
    }

    @Test
    void aStartThatCannotBecomeReadyFailsWithATimeoutAtItsStartupTimeout() throws Exception {
        Duration startupTimeout = expiringStartupTimeout();
        CompletableFuture<Sandbox> start = provider.startAsync(neverReadySpec(startupTimeout));

        // The bound is generous: what is checked is that the start ends by itself, and how.
        Throwable thrown = catchThrowable(() -> start.get(startupTimeout.plus(patience()).toMillis(), TimeUnit.MILLISECONDS));

        assertThat(thrown).as("the start ended within its startup timeout plus %s", patience()).isInstanceOf(ExecutionException.class);
        assertThat(thrown.getCause()).isInstanceOf(SandboxTimeoutException.class);
        assertThat(((SandboxTimeoutException) thrown.getCause()).timeout()).isEqualTo(startupTimeout);
        assertThat(events.types()).containsExactly(STARTING, FAILED);
        assertThat(events.last(SandboxLifecycleEvent.Failed.class).error()).isSameAs(thrown.getCause());
        assertThat(provider.liveSandboxes()).isEmpty();
        assertNothingLeftBehind(events.last().sandboxId());
    }

    @Test
    void aProgramThatEndsByItselfIsNotAliveAndItsStopSaysKilled() throws Exception {
        require(Ability.PROGRAM_ENDS_BY_ITSELF);
        Sandbox sandbox = provider.start(selfEndingSpec());
        assertThat(sandbox.isAlive()).isTrue();

        endTheProgram(sandbox);

        Awaitility.await().atMost(patience()).pollInterval(Duration.ofMillis(50)).until(() -> !sandbox.isAlive());
        assertThat(sandbox.stop()).as("the design's event contract: a sandbox that died on its own is KILLED").isEqualTo(StopOutcome.KILLED);
        assertThat(events.typesOf(sandbox.id())).containsExactly(STARTING, READY, KILLED);
        assertThat(events.last(SandboxLifecycleEvent.Killed.class).error()).as("no release failed").isEmpty();
        assertNothingLeftBehind(sandbox.id());
    }

    @Test
    void aProgramThatIgnoresSigtermIsKilledAfterTheGracePeriod() throws Exception {
        require(Ability.SIGTERM);
        Sandbox sandbox = provider.start(sigtermIgnoringSpec(Duration.ofSeconds(1)));

        assertThat(sandbox.stop()).isEqualTo(StopOutcome.KILLED);

        assertThat(events.typesOf(sandbox.id())).containsExactly(STARTING, READY, KILLED);
        assertThat(events.last(SandboxLifecycleEvent.Killed.class).error()).as("no release failed").isEmpty();
        assertNothingLeftBehind(sandbox.id());
    }

    @Test
    void aProgramThatExitsOnSigtermIsStopped() throws Exception {
        require(Ability.SIGTERM);
        // A grace period far longer than the exit takes: only a driver that never asked, or misreads the exit, fails.
        Sandbox sandbox = provider.start(runningSpec().toBuilder().stopGracePeriod(Duration.ofSeconds(30)).build());

        assertThat(sandbox.stop()).isEqualTo(StopOutcome.STOPPED);

        assertThat(events.typesOf(sandbox.id())).containsExactly(STARTING, READY, STOPPED);
        assertNothingLeftBehind(sandbox.id());
    }

    @Test
    void aStopRetriedAfterAFailedReleaseReleasesTheSandboxWithoutASecondEvent() throws Exception {
        // One sandbox whose first release fails before the driver is asked, one whose first release fails after the
        // driver released it: the retry must release the first, and count the second's absence as released.
        Sandbox before = provider.start(runningSpec());
        Sandbox after = provider.start(runningSpec());
        faults.failReleaseOnce(before.id(), false);
        faults.failReleaseOnce(after.id(), true);

        for (Sandbox sandbox : List.of(before, after)) {
            assertThatThrownBy(sandbox::stop).isInstanceOf(SandboxException.class).hasMessageContaining(ReleaseFaultDriver.PLANTED);
            assertThat(events.typesOf(sandbox.id())).containsExactly(STARTING, READY, KILLED);
            assertThat(events.last(SandboxLifecycleEvent.Killed.class).error()).isPresent();

            StopOutcome retried = sandbox.stop();

            assertThat(retried).as("the retry's outcome").isEqualTo(StopOutcome.KILLED);
            assertThat(events.typesOf(sandbox.id())).as("no second event").containsExactly(STARTING, READY, KILLED);
            assertThat(faults.releases(sandbox.id())).as("stops asked of the driver").isEqualTo(2);
            assertNothingLeftBehind(sandbox.id());
        }
    }

    @Test
    void closeIsIdempotentForSandboxProviderAndDriver() throws Exception {
        Sandbox sandbox = provider.start(runningSpec());

        sandbox.close();
        sandbox.close();
        assertThat(events.typesOf(sandbox.id())).hasSize(3);
        provider.close();
        provider.close();
        faults.delegate.close(); // the provider closed it once already

        assertNothingLeftBehind(sandbox.id());
    }

    @Test
    void execRunsWithTheSpecsEnv() {
        require(Ability.ENV);
        Sandbox sandbox = provider.start(runningSpec().toBuilder().env("CONTRACT_ENV", "contract-value").build());

        ExecResult env = sandbox.exec(envCommand(), patience());

        assertThat(env.exitCode()).isZero();
        assertThat(env.stdout()).as("output of %s", envCommand()).contains("CONTRACT_ENV=contract-value");
    }

    @Test
    void execRunsInTheSpecsWorkingDirectory() {
        require(Ability.WORKDIR);
        SandboxSpec spec = runningSpec().toBuilder().workDir("/contract-workdir").build();
        Sandbox sandbox = provider.start(spec);

        ExecResult pwd = sandbox.exec(pwdCommand(), patience());

        assertThat(pwd.exitCode()).isZero();
        assertThat(pwd.stdout().trim()).as("output of %s", pwdCommand()).isEqualTo("/contract-workdir");
    }

    @Test
    void aSandboxEndsByItselfAtItsMaxLifetime() throws Exception {
        require(Ability.MAX_LIFETIME);
        Sandbox sandbox = provider.start(runningSpec().toBuilder().maxLifetime(reachableMaxLifetime()).build());

        Awaitility.await().atMost(patience()).pollInterval(Duration.ofMillis(100)).until(() -> !sandbox.isAlive());

        assertThat(sandbox.stop()).as("it ended at its maxLifetime, not on request").isEqualTo(StopOutcome.KILLED);
        assertThat(events.typesOf(sandbox.id())).containsExactly(STARTING, READY, KILLED);
        assertNothingLeftBehind(sandbox.id());
    }

    /**
     * Every sandbox seen (there were {@code expected}: a loop over none would prove nothing) ended its start with READY
     * or FAILED once, and every READY was followed by one end.
     */
    protected void assertEverySandboxEnded(int expected) throws Exception {
        assertThat(sandboxIds()).as("sandboxes whose events were seen").hasSize(expected);
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
            barrier.await(Patience.seconds(30).toMillis(), TimeUnit.MILLISECONDS);
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
