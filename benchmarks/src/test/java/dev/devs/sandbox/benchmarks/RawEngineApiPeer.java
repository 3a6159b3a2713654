package dev.devs.sandbox.benchmarks;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.CreateContainerResponse;
import com.github.dockerjava.api.command.InspectContainerResponse;
import dev.devs.sandbox.SandboxSpec;
import java.time.Duration;

/**
 * The floor: docker-java's create + start, then one inspect that must see the engine report {@code running}, with
 * no driver around it. It waits for less than our driver's READY does: no attach to the container's streams, no
 * owner watchdog and no wait for its word that the user's command started, no readiness probe (docs/design.md says
 * what READY waits for). So our driver's ratio to this peer is its overhead plus that extra waiting, not the
 * overhead alone: a floor, not a like-for-like peer.
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
        return "docker-java 3.7.0 (httpclient5 transport) create + start + one inspect that must show running, "
                + "same image, command and host settings as the driver, no driver around it; no attach, watchdog or "
                + "readiness wait, so less than the driver's READY";
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
