package dev.devs.sandbox.docker;

import static dev.devs.sandbox.docker.DockerTestSupport.TINY_IMAGE;
import static dev.devs.sandbox.docker.DockerTestSupport.api;
import static dev.devs.sandbox.docker.DockerTestSupport.containersLabelled;
import static dev.devs.sandbox.docker.DockerTestSupport.startedId;
import static dev.devs.sandbox.docker.DockerTestSupport.volumesLabelled;
import static dev.devs.sandbox.docker.DockerTestSupport.assertNothingLeftOf;
import static dev.devs.sandbox.docker.DockerTestSupport.cliContainersOf;
import static dev.devs.sandbox.docker.DockerTestSupport.cliVolumesOf;
import static dev.devs.sandbox.docker.DockerTestSupport.sleeper;
import static dev.devs.sandbox.docker.DockerTestSupport.timing;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static dev.devs.sandbox.SandboxLifecycleEvent.Type.READY;
import static dev.devs.sandbox.SandboxLifecycleEvent.Type.STARTING;
import static dev.devs.sandbox.SandboxLifecycleEvent.Type.STOPPED;
import static dev.devs.sandbox.docker.DockerTestSupport.PATIENCE;
import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.exception.NotFoundException;
import dev.devs.sandbox.ResourceLabels;
import dev.devs.sandbox.Sandbox;
import dev.devs.sandbox.SandboxLifecycleEvent;
import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.StopOutcome;
import dev.devs.sandbox.tck.RecordingListener;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * After a stop nothing of the sandbox exists, asked of the CLI and of the API (docs/design.md, "Docker resources
 * and labels"). How fast a stop is belongs to the benchmark suite; here the {@code @Timeout} only bounds the wait.
 */
@Timeout(60)
class SandboxCleanupTest extends RecordedDockerProvider {

    @Test
    void stopRemovesContainerAndScratchVolumes() {
        Sandbox sb = provider.start(sleeper().scratchVolume("/scratch").scratchVolume("/data").build());
        String containerId = sb.attributes().get("containerId");
        // The checks below could pass vacuously if the resources were never there.
        assertThat(cliContainersOf(sb.id())).hasSize(1).first().asString().startsWith(containerId.substring(0, 12));
        List<String> volumes = cliVolumesOf(sb.id());
        assertThat(volumes).as("two anonymous scratch volumes").hasSize(2);
        assertThat(sb.exec("sh", "-c", "echo kept > /scratch/f && cat /scratch/f").stdout()).isEqualTo("kept\n");

        long t0 = System.nanoTime();
        StopOutcome outcome = sb.stop();
        timing("stop (sleep, SIGTERM)", Duration.ofNanos(System.nanoTime() - t0), outcome);

        assertThat(outcome).isEqualTo(StopOutcome.STOPPED);
        assertNothingLeftOf(sb.id());
        assertThatThrownBy(() -> api().inspectContainerCmd(containerId).exec()).isInstanceOf(NotFoundException.class);
        for (String volume : volumes) {
            assertThatThrownBy(() -> api().inspectVolumeCmd(volume).exec()).isInstanceOf(NotFoundException.class);
        }
    }

    @Test
    void sandboxIgnoringSigtermIsKilledAfterTheDefaultGraceAndRemoved() {
        Sandbox sb = provider.start(DockerTestSupport.ignoringSigterm().scratchVolume("/scratch").build());
        assertThat(sb.spec().stopGracePeriod()).isEqualTo(Duration.ofSeconds(2));

        long t0 = System.nanoTime();
        StopOutcome outcome = sb.stop();
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        timing("stop (ignores SIGTERM)", took, outcome);

        // A lower bound the engine guarantees (it kills only once the grace has passed), which load cannot break.
        assertThat(took).as("stop of a process ignoring SIGTERM").isGreaterThanOrEqualTo(Duration.ofSeconds(2));
        assertThat(outcome).isEqualTo(StopOutcome.KILLED);
        assertNothingLeftOf(sb.id());
    }

    @Test
    void closingTheProviderStopsAndRemovesEveryLiveSandbox() {
        Sandbox a = provider.start(sleeper().scratchVolume("/scratch").build());
        Sandbox b = provider.start(sleeper().build());
        assertThat(provider.liveSandboxes()).hasSize(2);

        long t0 = System.nanoTime();
        provider.close();
        timing("provider close (2 sandboxes)", Duration.ofNanos(System.nanoTime() - t0), "");

        assertThat(a.isAlive()).isFalse();
        assertThat(b.isAlive()).isFalse();
        assertNothingLeftOf(a.id());
        assertNothingLeftOf(b.id());
    }

    @Test
    void stopIsIdempotentAndASecondStopFindsNothingToDo() {
        Sandbox sb = provider.start(sleeper().build());
        StopOutcome first = sb.stop();
        StopOutcome second = sb.stop();

        assertThat(second).isEqualTo(first);
        assertThat(events.typesOf(sb.id())).containsExactly(STARTING, READY, STOPPED);
        assertNothingLeftOf(sb.id());
    }

    @Test
    void closeWhileAStartIsInFlightLeavesNothingBehind() throws Exception {
        RecordingListener closing = new RecordingListener();
        String session = "devs-test-close-" + UUID.randomUUID();
        try {
            closeWhileStarting(session, closing);
        } finally {
            SessionLeakCheck.removeSession(session); // what a failed run left (the class's leak check watches only the JVM's session)
        }
    }

    private void closeWhileStarting(String session, RecordingListener closing) throws Exception {
        SandboxProvider p = SandboxProvider.builder(new DockerDriver()).sessionId(session).listener(closing).build();
        // Ready only when the probe finds the file, about a second after the container starts: long enough to
        // close the provider while the start still uses the driver, with a scratch volume to leak as well.
        CompletableFuture<Sandbox> start = p.startAsync(SandboxSpec.builder(TINY_IMAGE)
                .command("sh", "-c", "sleep 1; touch /tmp/ready; exec sleep 600")
                .readinessProbe("test", "-f", "/tmp/ready")
                .scratchVolume("/scratch")
                .build());
        await().atMost(PATIENCE).pollInterval(Duration.ofMillis(10))
                .until(() -> !containersLabelled(ResourceLabels.SESSION, session).isEmpty());

        p.close();

        assertThatThrownBy(start::get).isInstanceOf(ExecutionException.class);
        String id = startedId(closing.events());
        assertNothingLeftOf(id);
        assertThat(containersLabelled(ResourceLabels.SESSION, session)).isEmpty();
        assertThat(volumesLabelled(ResourceLabels.SESSION, session)).isEmpty();
        List<SandboxLifecycleEvent.Type> types = closing.typesOf(id);
        assertThat(types).hasSize(3).startsWith(SandboxLifecycleEvent.Type.STARTING, SandboxLifecycleEvent.Type.READY);
        assertThat(types.get(2).endsLife()).as("third event %s ends the sandbox's life", types.get(2)).isTrue();
    }
}
