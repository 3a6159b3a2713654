package dev.devs.sandbox.kubernetes;

import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.spi.SandboxDriver;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The shared driver contract, run in Pod mode against the {@link ClusterStandIn} (the mock API server with the
 * kubelet stand-in): verified against the API, not a live cluster.
 */
class KubernetesPodContractTest extends ClusterStandInContract {

    @RegisterExtension
    static final ClusterStandIn cluster = new ClusterStandIn();

    @Override
    protected ClusterStandIn cluster() {
        return cluster;
    }

    @Override
    protected SandboxDriver newDriver() {
        return cluster.podDriver().build();
    }

    @Override
    protected SandboxSpec runningSpec() {
        return SandboxSpec.builder("busybox:1.36").command("sleep", "3600").build();
    }

    @Override
    protected SandboxSpec failingSpec() {
        return SandboxSpec.builder("registry.example/" + KubeletStandIn.MISSING_IMAGE_MARK + ":1").command("sleep", "3600").build();
    }

    @Override
    protected SandboxSpec rejectedSpec() {
        return SandboxSpec.builder("busybox:1.36").network("host").build();
    }
}
