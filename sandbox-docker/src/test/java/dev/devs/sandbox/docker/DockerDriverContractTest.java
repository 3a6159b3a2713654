package dev.devs.sandbox.docker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.devs.sandbox.spi.SandboxDriver;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.tck.SandboxDriverContract;
import java.util.UUID;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The shared driver contract, run against the real Docker engine with the tiny local image: dockerd in the default
 * test run, Podman's Docker API in the {@code podman} execution. Every check runs on both; none is opted out.
 */
@ExtendWith(SessionLeakCheck.class)
class DockerDriverContractTest extends SandboxDriverContract {

    @Override
    protected SandboxDriver newDriver() {
        return new DockerDriver();
    }

    @Override
    protected SandboxSpec runningSpec() {
        return DockerTestSupport.sleeper().build();
    }

    @Override
    protected SandboxSpec failingSpec() {
        // Valid, but in no registry: the pull from the loopback registry fails with "not found".
        return SandboxSpec.builder(DockerTestSupport.REGISTRY + "/devs-docker-contract-missing-"
                + UUID.randomUUID().toString().substring(0, 8) + ":1").command("sleep", "600").build();
    }

    @Override
    protected SandboxSpec rejectedSpec() {
        return DockerTestSupport.sleeper().cpus(0.001).build();
    }


    @Override
    protected void assertNothingLeftBehind(String sandboxId) {
        DockerTestSupport.assertNothingLeftOf(sandboxId);
    }

    @Override
    protected void assertNothingLeftOfSession(String sessionId) {
        assertThat(SessionLeakCheck.leaksOf(sessionId)).as("containers and volumes of session %s", sessionId).isEmpty();
    }
}
