package dev.devs.sandbox.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import dev.devs.sandbox.Sandbox;
import dev.devs.sandbox.SandboxException;
import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxTimeoutException;
import dev.devs.sandbox.StopOutcome;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A frozen engine (SIGSTOP: it holds its sockets and answers nothing) fails a start by that start's own deadline
 * and a stop by its grace period plus one response timeout, each naming the call the engine did not answer; once
 * thawed, the stop can be retried and leaves nothing. Against an engine of the test's own ({@link PrivateEngine}),
 * never the shared one.
 */
@Timeout(180)
class FrozenEngineTest {

    private static final Duration RESPONSE_TIMEOUT = Duration.ofSeconds(2);

    @Test
    void aFrozenEngineFailsAStartByItsDeadlineAndAStopByItsGracePlusTheResponseTimeoutNamingTheCall() throws Exception {
        // The private engine is a dockerd; the Podman pass has nothing of its own to add here.
        Assumptions.assumeFalse(DockerTestSupport.PODMAN, "skipped on the Podman pass: the frozen engine is a private dockerd");
        try (PrivateEngine engine = PrivateEngine.startOrSkip();
             SandboxProvider provider = SandboxProvider.builder(DockerDriver.builder().dockerHost(engine.host())
                     .responseTimeout(RESPONSE_TIMEOUT).build()).build()) {
            Sandbox running = provider.start(DockerTestSupport.sleeper().stopGracePeriod(Duration.ofSeconds(1)).build());
            engine.freeze();
            try {
                Throwable start = catchThrowable(() -> provider.start(DockerTestSupport.sleeper().startupTimeout(Duration.ofSeconds(3)).build()));
                assertThat(start).isInstanceOf(SandboxTimeoutException.class)
                        .hasMessageContaining("did not become ready within startupTimeout PT3S")
                        .hasMessageContaining("accepted the connection but did not answer")
                        .hasMessageContaining("inspect image");

                Throwable stop = catchThrowable(running::stop);
                assertThat(stop).isInstanceOf(SandboxException.class)
                        .hasMessageContaining("did not answer")
                        .hasMessageContaining("stop container");
            } finally {
                engine.thaw();
            }
            assertThat(running.stop()).isIn(StopOutcome.STOPPED, StopOutcome.KILLED);
            // A create the frozen engine held past the start's deadline is answered after the thaw and then removed
            // by the driver on its own thread: waited for, not expected at once.
            await("no managed containers left on the private engine").atMost(DockerTestSupport.PATIENCE)
                    .pollInterval(Duration.ofMillis(200))
                    .untilAsserted(() -> assertThat(engine.managedContainers()).as("managed containers left on the private engine").isEmpty());
        }
    }
}
