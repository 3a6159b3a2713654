package dev.devs.sandbox.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.devs.sandbox.Sandbox;
import dev.devs.sandbox.SandboxException;
import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxRuntimeUnavailableException;
import dev.devs.sandbox.StopOutcome;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The engine restarts under live sandboxes (a private dockerd this test starts, stops and starts again; never
 * the shared engine, and skipped, saying why, where none can be started). While it is down, stop() and start()
 * fail within their timeouts naming the engine; once it is back, a retried stop() removes what is left, and the
 * same driver instance starts new sandboxes. That a retried stop removes what is left is shown on a stand-in in
 * sandbox-core's StopRetryTest: a real engine removes auto-remove containers itself when it comes back.
 */
@Timeout(180)
class EngineRestartTest {

    @Test
    void stopAndStartFailNamingTheEngineWhileItIsDownAndTheSameDriverRecovers() throws Exception {
        try (PrivateEngine engine = PrivateEngine.startOrSkip();
             SandboxProvider provider = SandboxProvider.builder(DockerDriver.builder().dockerHost(engine.host()).build())
                     .sweepOrphans(false).shutdownHook(false).build()) {
            Sandbox a = provider.start(DockerTestSupport.sleeper().scratchVolume("/scratch").build());
            Sandbox b = provider.start(DockerTestSupport.sleeper().build());
            assertThat(engine.managedContainers()).hasSize(2);

            engine.stop();

            long t0 = System.nanoTime();
            assertThatThrownBy(a::stop).isInstanceOf(SandboxException.class).hasMessageContaining(engine.host());
            assertThatThrownBy(() -> provider.start(DockerTestSupport.sleeper().build()))
                    .isInstanceOf(SandboxRuntimeUnavailableException.class).hasMessageContaining(engine.host());
            System.out.printf("[engine-restart] stop and start failed %d ms after the engine went down%n",
                    Duration.ofNanos(System.nanoTime() - t0).toMillis());

            engine.start();

            assertThat(a.stop()).as("the retried stop").isEqualTo(StopOutcome.KILLED);
            b.stop();
            try (Sandbox c = provider.start(DockerTestSupport.sleeper().build())) {
                assertThat(c.exec("echo", "back").stdout()).isEqualTo("back\n");
            }
            assertThat(engine.managedContainers()).as("nothing left on the restarted engine").isEmpty();
        }
    }

    @Test
    void evenWithLiveRestoreAnEngineRestartEndsTheSandboxesAndTheRetriedStopFindsNothingLeft() throws Exception {
        // The engine holds the write end of each sandbox's stdin: when it exits, the watchdog sees end of file, so a
        // sandbox never runs on unowned through an engine restart, live restore or not.
        try (PrivateEngine engine = PrivateEngine.startOrSkip(true);
             SandboxProvider provider = SandboxProvider.builder(DockerDriver.builder().dockerHost(engine.host()).build())
                     .sweepOrphans(false).shutdownHook(false).build()) {
            Sandbox a = provider.start(DockerTestSupport.sleeper().scratchVolume("/scratch").build());

            engine.stop();
            assertThatThrownBy(a::stop).isInstanceOf(SandboxException.class).hasMessageContaining(engine.host());
            engine.start();

            assertThat(a.stop()).as("the retried stop").isEqualTo(StopOutcome.KILLED);
            assertThat(engine.managedContainers()).as("nothing left after the restart").isEmpty();
        }
    }
}
