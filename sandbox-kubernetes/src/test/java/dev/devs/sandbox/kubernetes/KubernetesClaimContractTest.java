package dev.devs.sandbox.kubernetes;

import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.spi.SandboxDriver;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The shared driver contract, run in claim mode against the {@link ClusterStandIn} with the agent-sandbox controller
 * stand-in: verified against the API, not a live cluster.
 */
class KubernetesClaimContractTest extends ClusterStandInContract {

    @RegisterExtension
    static final ClusterStandIn cluster = new ClusterStandIn();

    @BeforeAll
    static void createTemplate() {
        cluster.controller().createTemplate("shell", "busybox:1.36", List.of("sleep", "3600"));
    }

    @Override
    protected ClusterStandIn cluster() {
        return cluster;
    }

    @Override
    protected SandboxDriver newDriver() {
        return cluster.podDriver().sandboxTemplate("shell").build();
    }

    @Override
    protected SandboxSpec runningSpec() {
        return SandboxSpec.builder().build();
    }

    @Override
    protected SandboxSpec failingSpec() {
        // Claimed, but its readiness probe never passes: the start times out and gives the claim back.
        return SandboxSpec.builder().readinessProbe("false").startupTimeout(Duration.ofSeconds(2)).build();
    }

    @Override
    protected SandboxSpec rejectedSpec() {
        return SandboxSpec.builder("busybox:1.36").build();
    }
}
