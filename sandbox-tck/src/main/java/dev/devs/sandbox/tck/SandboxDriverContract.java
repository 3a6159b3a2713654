package dev.devs.sandbox.tck;

import static dev.devs.sandbox.SandboxLifecycleEvent.Type.FAILED;
import static dev.devs.sandbox.SandboxLifecycleEvent.Type.KILLED;
import static dev.devs.sandbox.SandboxLifecycleEvent.Type.READY;
import static dev.devs.sandbox.SandboxLifecycleEvent.Type.STARTING;
import static dev.devs.sandbox.SandboxLifecycleEvent.Type.STOPPED;
import static org.assertj.core.api.Assertions.assertThat;

import dev.devs.sandbox.ExecResult;
import dev.devs.sandbox.Sandbox;
import dev.devs.sandbox.SandboxLifecycleEvent;
import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.SandboxTimeoutException;
import dev.devs.sandbox.spi.SandboxDriver;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
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
    ReleaseFaultDriver faults;

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

    void require(Ability ability) {
        cannot(ability).ifPresent(why -> Assumptions.abort(provider.driverName() + " opts out of this check ("
                + ability + "): " + why));
    }

    @Test
    void startEmitsStartingThenReadyAndTheSandboxRuns() throws Exception {
        StartChecks.startEmitsStartingThenReadyAndTheSandboxRuns(this);
    }

    @Test
    void failedStartEmitsStartingThenFailedAndLeavesNothing() throws Exception {
        StartChecks.failedStartEmitsStartingThenFailedAndLeavesNothing(this);
    }

    @Test
    void rejectedSpecThrowsBeforeAnyEventAndLeavesNothing() throws Exception {
        StartChecks.rejectedSpecThrowsBeforeAnyEventAndLeavesNothing(this);
    }

    @Test
    void stopEmitsOneEndAndRemovesEverythingAndASecondStopEmitsNothing() throws Exception {
        StopChecks.stopEmitsOneEndAndRemovesEverythingAndASecondStopEmitsNothing(this);
    }

    @Test
    void twoThreadsStoppingAtOnceGetOneOutcomeAndOneEvent() throws Exception {
        StopChecks.twoThreadsStoppingAtOnceGetOneOutcomeAndOneEvent(this);
    }

    @Test
    void interruptedStartFailsKeepsTheInterruptAndLeavesNothing() throws Exception {
        StartChecks.interruptedStartFailsKeepsTheInterruptAndLeavesNothing(this);
    }

    @Test
    void closeWithStartsInFlightAndLiveSandboxesLeavesNothing() throws Exception {
        CloseChecks.closeWithStartsInFlightAndLiveSandboxesLeavesNothing(this);
    }

    @Test
    void closeFromInsideAListenerStopsEverything() throws Exception {
        CloseChecks.closeFromInsideAListenerStopsEverything(this);
    }

    @Test
    void listenerRemovedMidRunSeesTheWholeStartItWasSubscribedFor() throws Exception {
        CloseChecks.listenerRemovedMidRunSeesTheWholeStartItWasSubscribedFor(this);
    }

    @Test
    void execReportsExitCodesAndStandardError() throws Exception {
        ExecChecks.execReportsExitCodesAndStandardError(this);
    }

    @Test
    void execTimeoutThrowsAndTheSandboxStaysUsable() throws Exception {
        ExecChecks.execTimeoutThrowsAndTheSandboxStaysUsable(this);
    }

    @Test
    void aStartThatCannotBecomeReadyFailsWithATimeoutAtItsStartupTimeout() throws Exception {
        StartChecks.aStartThatCannotBecomeReadyFailsWithATimeoutAtItsStartupTimeout(this);
    }

    @Test
    void aProgramThatEndsByItselfIsNotAliveAndItsStopSaysKilled() throws Exception {
        StopChecks.aProgramThatEndsByItselfIsNotAliveAndItsStopSaysKilled(this);
    }

    @Test
    void aProgramThatIgnoresSigtermIsKilledAfterTheGracePeriod() throws Exception {
        StopChecks.aProgramThatIgnoresSigtermIsKilledAfterTheGracePeriod(this);
    }

    @Test
    void aProgramThatExitsOnSigtermIsStopped() throws Exception {
        StopChecks.aProgramThatExitsOnSigtermIsStopped(this);
    }

    @Test
    void aStopRetriedAfterAFailedReleaseReleasesTheSandboxWithoutASecondEvent() throws Exception {
        StopChecks.aStopRetriedAfterAFailedReleaseReleasesTheSandboxWithoutASecondEvent(this);
    }

    @Test
    void closeIsIdempotentForSandboxProviderAndDriver() throws Exception {
        CloseChecks.closeIsIdempotentForSandboxProviderAndDriver(this);
    }

    @Test
    void execRunsWithTheSpecsEnv() throws Exception {
        ExecChecks.execRunsWithTheSpecsEnv(this);
    }

    @Test
    void execRunsInTheSpecsWorkingDirectory() throws Exception {
        ExecChecks.execRunsInTheSpecsWorkingDirectory(this);
    }

    @Test
    void aSandboxEndsByItselfAtItsMaxLifetime() throws Exception {
        StopChecks.aSandboxEndsByItselfAtItsMaxLifetime(this);
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

    Set<String> sandboxIds() {
        return events.events().stream().map(SandboxLifecycleEvent::sandboxId).collect(Collectors.toCollection(java.util.LinkedHashSet::new));
    }
}
