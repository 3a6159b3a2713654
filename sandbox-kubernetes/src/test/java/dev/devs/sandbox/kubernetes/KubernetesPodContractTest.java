package dev.devs.sandbox.kubernetes;

import dev.devs.sandbox.spi.SandboxDriver;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.tck.SandboxDriverContract;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The shared driver contract, run in Pod mode against the {@link ClusterStandIn} (the mock API server with the
 * kubelet stand-in): verified against the API, not a live cluster.
 */
class KubernetesPodContractTest extends SandboxDriverContract {

    private static ClusterStandIn cluster;

    @BeforeAll
    static void startCluster() {
        cluster = new ClusterStandIn();
    }

    @AfterAll
    static void stopCluster() {
        cluster.close();
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


    @Override
    protected void assertNothingLeftBehind(String sandboxId) {
        cluster.assertNothingLeftOf(sandboxId);
    }
}
