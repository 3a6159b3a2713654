package dev.devs.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

import dev.devs.sandbox.spi.SandboxDriver;
import dev.devs.sandbox.tck.SandboxDriverContract;
import dev.devs.sandbox.tck.Patience;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.DiscoverySelector;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Events;

/**
 * The driver contract suite checked on itself: it passes on a driver that keeps the contract and fails,
 * naming the broken promise, on drivers with a planted defect. The nested suites are run only through the
 * test kit here (Surefire skips nested classes).
 */
class SandboxDriverContractTest {

    @Test
    void aDriverThatKeepsTheContractPassesEveryCheck() {
        Events tests = run(Honest.class);

        assertThat(tests.failed().count()).as("failures: %s", tests.failed().list()).isZero();
        assertThat(lifecycleChecks(tests.aborted()).count()).as("checks the honest driver opted out of: %s", tests.aborted().list()).isZero();
        assertThat(tests.succeeded().count()).isGreaterThanOrEqualTo(20);
    }

    @Test
    void aDriverThatOptsOutOfACheckSeesItAbortedWithItsReason() {
        Events tests = run(NoSigterm.class);

        assertThat(tests.failed().count()).as("failures: %s", tests.failed().list()).isZero();
        assertThat(lifecycleChecks(tests.aborted()).toList()).extracting(e -> e.getTestDescriptor().getDisplayName()).containsExactlyInAnyOrder(
                "aProgramThatIgnoresSigtermIsKilledAfterTheGracePeriod()", "aProgramThatExitsOnSigtermIsStopped()");
        assertThat(lifecycleChecks(tests.aborted()).toList()).allSatisfy(e -> assertThat(e.getPayload(org.junit.platform.engine.TestExecutionResult.class)
                .flatMap(org.junit.platform.engine.TestExecutionResult::getThrowable).map(Throwable::getMessage).orElse(""))
                .contains("opts out of this check (SIGTERM): the scripted driver has no signals"));
    }

    /** Each planted defect of the scripted driver, and the contract checks that must then fail (at least these). */
    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.CsvSource(delimiter = '|', value = {
        "loseExitCodes            | execReportsExitCodesAndStandardError()",
        "execTimeoutKillsSandbox  | execTimeoutThrowsAndTheSandboxStaysUsable()",
        "startTimeoutAsPlainFailure | aStartThatCannotBecomeReadyFailsWithATimeoutAtItsStartupTimeout()",
        "endedLooksAlive          | aProgramThatEndsByItselfIsNotAliveAndItsStopSaysKilled()",
        "alwaysStopped            | aProgramThatIgnoresSigtermIsKilledAfterTheGracePeriod(), aProgramThatEndsByItselfIsNotAliveAndItsStopSaysKilled(), aSandboxEndsByItselfAtItsMaxLifetime()",
        "alwaysKilled             | aProgramThatExitsOnSigtermIsStopped(), stopEmitsOneEndAndRemovesEverythingAndASecondStopEmitsNothing(), twoThreadsStoppingAtOnceGetOneOutcomeAndOneEvent()",
        "leakOnReject             | rejectedSpecThrowsBeforeAnyEventAndLeavesNothing()",
        "failWhenAlreadyReleased  | aStopRetriedAfterAFailedReleaseReleasesTheSandboxWithoutASecondEvent()",
        "closeOnlyOnce            | closeIsIdempotentForSandboxProviderAndDriver()",
        "ignoreSpecEnvAndWorkDir  | execRunsWithTheSpecsEnv(), execRunsInTheSpecsWorkingDirectory()",
        "ignoreMaxLifetime        | aSandboxEndsByItselfAtItsMaxLifetime()",
    })
    void aPlantedDefectFailsTheCheckThatCoversIt(String defect, String checks) {
        String[] covering = checks.split(",\\s*");
        Planted.defect = defect;
        try {
            // Only the checks that must catch the defect run: whether the others pass with it planted proves nothing.
            Events tests = EngineTestKit.engine("junit-jupiter").selectors(Arrays.stream(covering)
                    .map(check -> selectMethod(Planted.class, check.replace("()", ""))).toArray(DiscoverySelector[]::new))
                    .execute().testEvents();

            assertThat(tests.started().count()).as("checks run with %s planted", defect).isEqualTo(covering.length);
            List<String> failed = tests.failed().list().stream().map(e -> e.getTestDescriptor().getDisplayName()).toList();
            assertThat(failed).as("checks failed with %s planted", defect).containsExactlyInAnyOrder(covering);
        } finally {
            Planted.defect = null;
        }
    }

    @Test
    void aDriverThatLeaksOnStopFailsTheCleanupChecks() {
        Events tests = run(Leaky.class);

        assertThat(tests.failed().count()).isGreaterThanOrEqualTo(3);
        assertThat(tests.failed().list()).anySatisfy(e -> assertThat(e.getTestDescriptor().getDisplayName())
                .startsWith("stopEmitsOneEndAndRemovesEverything"));
    }

    @Test
    void aDriverThatIgnoresTheCallersInterruptFailsTheInterruptCheck() {
        Events tests = run(Deaf.class);

        assertThat(tests.failed().list()).extracting(e -> e.getTestDescriptor().getDisplayName())
                .containsExactly("interruptedStartFailsKeepsTheInterruptAndLeavesNothing()");
    }

    /**
     * The checks of the lifecycle contract itself, without the working-surface checks it inherits: those are skipped,
     * by design, for the capabilities the scripted driver does not declare (it declares only exec).
     */
    private static java.util.stream.Stream<org.junit.platform.testkit.engine.Event> lifecycleChecks(Events events) {
        return events.stream().filter(e -> e.getTestDescriptor().getSource()
                .filter(org.junit.platform.engine.support.descriptor.MethodSource.class::isInstance)
                .map(src -> ((org.junit.platform.engine.support.descriptor.MethodSource) src).getJavaMethod()
                        .getDeclaringClass() != dev.devs.sandbox.tck.WorkingSurfaceContract.class)
                .orElse(true));
    }

    private static Events run(Class<?> suite) {
        return EngineTestKit.engine("junit-jupiter").selectors(selectClass(suite)).execute().testEvents();
    }

    /**
     * The contract on the in-process scripted driver, with an optional planted defect. Its exec, start and lifetime
     * happen in memory, so the timeouts the contract lets run out and its waits are short here; the honest driver
     * passing every check with them shows they are long enough, and a planted defect then fails a check in
     * milliseconds, not after a real driver's seconds.
     */
    abstract static class OnScriptedDriver extends SandboxDriverContract {
        final ScriptedDriver driver = new ScriptedDriver();

        @Override
        protected Duration patience() {
            return Patience.seconds(2);
        }

        @Override
        protected Duration expiringExecTimeout() {
            return Duration.ofMillis(100);
        }

        @Override
        protected Duration expiringStartupTimeout() {
            return Duration.ofMillis(200);
        }

        @Override
        protected Duration reachableMaxLifetime() {
            return Duration.ofSeconds(1); // the shortest a spec accepts
        }

        @Override
        protected SandboxDriver newDriver() {
            return driver;
        }

        @Override
        protected SandboxSpec runningSpec() {
            return SandboxSpec.builder("img:1").build();
        }

        @Override
        protected SandboxSpec failingSpec() {
            driver.missingImage = "missing:1";
            return SandboxSpec.builder("missing:1").build();
        }

        @Override
        protected SandboxSpec rejectedSpec() {
            driver.rejectSpecs = true;
            return SandboxSpec.builder("img:1").build();
        }

        @Override
        protected String execOutput() {
            return "cwd=null echo contract"; // the scripted driver echoes its working directory and the command line
        }

        @Override
        protected void assertNothingLeftBehind(String sandboxId) {
            assertThat(driver.alive).as("sandboxes the scripted driver still holds").doesNotContain(sandboxId);
        }

        @Override
        protected void assertNothingLeftOfSession(String sessionId) {
            // One driver per test, so what it holds is what this session left.
            assertThat(driver.alive).as("sandboxes the scripted driver still holds, live ones aside")
                    .isSubsetOf(provider.liveSandboxes().stream().map(Sandbox::id).toList());
        }

        @Override
        protected List<String> failingExecCommand() {
            return List.of("fail", "3", "contract-error");
        }

        @Override
        protected List<String> hangingExecCommand() {
            return List.of("hang");
        }

        @Override
        protected SandboxSpec sigtermIgnoringSpec(Duration gracePeriod) {
            return runningSpec().toBuilder().label(ScriptedDriver.IGNORES_SIGTERM, "true").stopGracePeriod(gracePeriod).build();
        }

        @Override
        protected SandboxSpec selfEndingSpec() {
            return runningSpec();
        }

        @Override
        protected void endTheProgram(Sandbox sandbox) {
            driver.endProgram(sandbox.id());
        }

        @Override
        protected List<String> envCommand() {
            return List.of("print-env");
        }

        @Override
        protected List<String> pwdCommand() {
            return List.of("print-pwd");
        }
    }

    static class Honest extends OnScriptedDriver {
    }

    static class Leaky extends OnScriptedDriver {
        Leaky() {
            driver.leakOnStop = true;
        }
    }

    static class Deaf extends OnScriptedDriver {
        Deaf() {
            driver.ignoreInterrupts = true;
        }
    }

    static class NoSigterm extends OnScriptedDriver {
        @Override
        protected Optional<String> cannot(Ability ability) {
            return ability == Ability.SIGTERM ? Optional.of("the scripted driver has no signals") : Optional.empty();
        }
    }

    /** The scripted driver with the defect named in {@link #defect} planted. */
    static class Planted extends OnScriptedDriver {
        static volatile String defect;

        Planted() {
            switch (defect) {
                case "loseExitCodes" -> driver.loseExitCodes = true;
                case "execTimeoutKillsSandbox" -> driver.execTimeoutKillsSandbox = true;
                case "startTimeoutAsPlainFailure" -> driver.startTimeoutAsPlainFailure = true;
                case "endedLooksAlive" -> driver.endedLooksAlive = true;
                case "alwaysStopped" -> driver.forcedStopOutcome = StopOutcome.STOPPED;
                case "alwaysKilled" -> driver.forcedStopOutcome = StopOutcome.KILLED;
                case "leakOnReject" -> driver.leakOnReject = true;
                case "failWhenAlreadyReleased" -> driver.failWhenAlreadyReleased = true;
                case "closeOnlyOnce" -> driver.closeOnlyOnce = true;
                case "ignoreSpecEnvAndWorkDir" -> driver.ignoreSpecEnvAndWorkDir = true;
                case "ignoreMaxLifetime" -> driver.ignoreMaxLifetime = true;
                default -> throw new IllegalArgumentException("no such planted defect: " + defect);
            }
        }
    }
}
