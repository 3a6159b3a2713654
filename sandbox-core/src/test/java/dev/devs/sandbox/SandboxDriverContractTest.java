package dev.devs.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import dev.devs.sandbox.spi.SandboxDriver;
import dev.devs.sandbox.tck.SandboxDriverContract;
import org.junit.jupiter.api.Test;
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
        assertThat(tests.succeeded().count()).isGreaterThanOrEqualTo(9);
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

    private static Events run(Class<?> suite) {
        return EngineTestKit.engine("junit-jupiter").selectors(selectClass(suite)).execute().testEvents();
    }

    /** The contract on the in-process scripted driver, with an optional planted defect. */
    abstract static class OnScriptedDriver extends SandboxDriverContract {
        final ScriptedDriver driver = new ScriptedDriver();

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
}
