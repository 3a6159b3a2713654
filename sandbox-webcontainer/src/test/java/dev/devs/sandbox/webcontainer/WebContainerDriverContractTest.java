package dev.devs.sandbox.webcontainer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.devs.sandbox.spi.SandboxDriver;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.tck.SandboxDriverContract;
import dev.devs.sandbox.webcontainer.internal.cdp.CdpConnection;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The shared driver contract, run against real Chromium booting the real client against the loopback TEST STAND-IN
 * of the runtime. A WebContainer sandbox's only resource is its browser context; a closed driver leaves no browser.
 */
@ExtendWith(AgainstStandIn.Fixture.class)
class WebContainerDriverContractTest extends SandboxDriverContract {

    private WebContainerDriver driver;

    /** Runs before the contract's own clean-up closes the provider, while the browser can still be tracked. */
    @AfterEach
    void trackBrowser() {
        AgainstStandIn.leaks.track(driver);
    }

    @Override
    protected SandboxDriver newDriver() {
        driver = AgainstStandIn.standInDriver();
        return driver;
    }

    @Override
    protected SandboxSpec runningSpec() {
        return SandboxSpec.builder().build();
    }

    @Override
    protected SandboxSpec failingSpec() {
        // Valid, but its readiness probe never exits 0: the start fails at its startup timeout.
        return SandboxSpec.builder().readinessProbe("false").startupTimeout(Duration.ofSeconds(3)).build();
    }

    @Override
    protected SandboxSpec rejectedSpec() {
        return SandboxSpec.builder("devs-sandbox-busybox:1").build();
    }


    @Override
    protected void assertNothingLeftOfSession(String sessionId) throws Exception {
        assertNothingLeftBehind("of session " + sessionId);
    }

    /** What a WebContainer is not: no main process, no signals; the stand-in's commands are a few, and no shell. */
    @Override
    protected Optional<String> cannot(Ability ability) {
        return switch (ability) {
            case SEPARATE_STDERR -> Optional.of("a WebContainer process has one output stream: stderr arrives merged into stdout");
            case SIGTERM -> Optional.of("a WebContainer has no main process and no signals: stop tears the WebContainer down");
            case PROGRAM_ENDS_BY_ITSELF -> Optional.of("a WebContainer has no main process that could end by itself");
            case WORKDIR -> Optional.of("exec runs in the WebContainer's own working directory (/home/<workdirName>); the"
                    + " driver rejects any workDir but the default, which it cannot apply");
            default -> Optional.empty();
        };
    }

    @Override
    protected List<String> failingExecCommand() {
        return List.of("ls", "/no-such-contract-path");
    }

    @Override
    protected int failingExecExitCode() {
        return 1;
    }

    @Override
    protected String failingExecError() {
        return "No such file or directory";
    }

    @Override
    protected List<String> envCommand() {
        return List.of("env");
    }

    /**
     * Each live sandbox holds exactly one browser context, so with no sandbox live the browser holds none; once the
     * driver is closed, no Chromium of this JVM may run and no profile directory may remain.
     */
    @Override
    protected void assertNothingLeftBehind(String sandboxId) throws Exception {
        AgainstStandIn.leaks.track(driver);
        Optional<CdpConnection> cdp = driver.browserConnection();
        if (cdp.isPresent()) {
            assertThat(cdp.get().browserContextIds(Duration.ofSeconds(5)))
                    .as("browser contexts once sandbox %s ended", sandboxId).hasSize(provider.liveSandboxes().size());
        } else {
            AgainstStandIn.leaks.assertNothingLeft();
        }
    }
}
