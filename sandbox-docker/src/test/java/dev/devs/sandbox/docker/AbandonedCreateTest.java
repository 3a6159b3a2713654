package dev.devs.sandbox.docker;

import static dev.devs.sandbox.docker.DockerTestSupport.PATIENCE;
import static dev.devs.sandbox.docker.DockerTestSupport.assertNothingLeftOf;
import static dev.devs.sandbox.docker.DockerTestSupport.sleeper;
import static dev.devs.sandbox.docker.DockerTestSupport.startedId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.SandboxTimeoutException;
import dev.devs.sandbox.tck.Patience;
import dev.devs.sandbox.tck.RecordingListener;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A start whose deadline passes while the engine has not yet answered its {@code create container} must leave
 * nothing behind even when the engine creates the container afterwards: the start's own clean-up finds nothing
 * then, so the driver must undo the late create itself. The engine is the real one, behind a loopback proxy (a
 * stand-in for an engine slow to get to the request) that holds the create back until the start has failed and
 * cleaned up, then lets it through. Nothing is timed: the test waits on the start's failure, the engine's answer
 * and the labels.
 */
@Timeout(180)
@ExtendWith(SessionLeakCheck.class)
class AbandonedCreateTest {

    @TempDir
    Path tmp;

    @Test
    void aCreateTheEngineAnswersAfterTheStartGaveUpIsRemovedWithItsVolumes() throws Exception {
        String host = DockerTestSupport.envOr("DOCKER_HOST", DockerDriver.DEFAULT_DOCKER_HOST);
        Path engineSocket = Path.of(URI.create(host).getPath());
        // Podman 4.3 refuses the first create's tmpfs options and the driver creates again without them
        // (docs/operations/podman.md): the create to hold is the second.
        int createsToPass = DockerTestSupport.PODMAN ? 1 : 0;
        RecordingListener events = new RecordingListener();
        try (HoldingEngineProxy proxy = new HoldingEngineProxy(tmp.resolve("engine.sock"), engineSocket, createsToPass);
             SandboxProvider provider = SandboxProvider.builder(DockerDriver.builder().dockerHost("unix://" + tmp.resolve("engine.sock")).build())
                     .listener(events).build()) {
            SandboxSpec spec = sleeper().scratchVolume("/scratch").startupTimeout(Patience.seconds(5)).build();

            Throwable thrown = catchThrowable(() -> provider.start(spec));

            assertThat(proxy.holdsACreate()).as("the start reached its create before its deadline (failed with: %s)", thrown).isTrue();
            assertThat(thrown).isInstanceOf(SandboxTimeoutException.class).hasMessageContaining("create container");
            String id = startedId(events.events());
            assertNothingLeftOf(id); // the start's clean-up has run, and found nothing yet

            proxy.release();

            assertThat(proxy.createAnswer().get(PATIENCE.toMillis(), TimeUnit.MILLISECONDS))
                    .as("the engine created the container after the start gave up").contains(" 201 ");
            await("nothing labelled with sandbox " + id).atMost(PATIENCE).pollInterval(Duration.ofMillis(100))
                    .untilAsserted(() -> assertNothingLeftOf(id));
        }
    }
}
