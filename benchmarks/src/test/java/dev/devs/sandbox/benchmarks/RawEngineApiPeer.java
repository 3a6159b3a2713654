package dev.devs.sandbox.benchmarks;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.CreateContainerResponse;
import com.github.dockerjava.api.command.InspectContainerResponse;
import dev.devs.sandbox.SandboxSpec;
import java.time.Duration;

/**
 * The floor: docker-java's create + start, then one inspect to see the engine report {@code running} (the
 * same readiness our driver waits for), with no driver around it. Our driver's ratio to this is its overhead.
 */
final class RawEngineApiPeer implements Peer {

    private final DockerClient docker;

    RawEngineApiPeer(DockerClient docker) {
        this.docker = docker;
    }

    @Override
    public String name() {
        return "raw-engine-api";
    }

    @Override
    public String description() {
        return "docker-java 3.7.0 (httpclient5 transport) create + start + inspect until State.Status == running, "
                + "same image, command and host settings as the driver, no driver around it";
    }

    @Override
    public Duration sample(SandboxSpec spec, String sampleId) {
        String id = null;
        try {
            long t0 = System.nanoTime();
            CreateContainerResponse created = docker.createContainerCmd(spec.image())
                    .withName(sampleId)
                    .withCmd(spec.command())
                    .withEnv(PeerContainers.env(spec))
                    .withUser(spec.user().isEmpty() ? null : spec.user())
                    .withWorkingDir(spec.workDir())
                    .withLabels(PeerContainers.labels(spec, sampleId, name()))
                    .withHostConfig(PeerContainers.hostConfig(spec))
                    .exec();
            id = created.getId();
            docker.startContainerCmd(id).exec();
            InspectContainerResponse.ContainerState state = docker.inspectContainerCmd(id).exec().getState();
            long t1 = System.nanoTime();
            if (!Boolean.TRUE.equals(state.getRunning())) {
                throw new IllegalStateException("raw-engine-api sample " + sampleId + " is not running after start: "
                        + state.getStatus() + ", exit code " + state.getExitCodeLong());
            }
            return Duration.ofNanos(t1 - t0);
        } finally {
            if (id != null) {
                docker.removeContainerCmd(id).withForce(true).withRemoveVolumes(true).exec();
            }
        }
    }

    @Override
    public void close() {
        // The client belongs to the caller.
    }
}
