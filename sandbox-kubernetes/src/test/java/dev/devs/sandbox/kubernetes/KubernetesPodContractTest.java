package dev.devs.sandbox.kubernetes;

import dev.devs.sandbox.spi.SandboxDriver;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.tck.SandboxDriverContract;
import java.util.Optional;
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

    @Override
    protected void assertNothingLeftOfSession(String sessionId) {
        cluster.assertNothingLeftOfSession(sessionId);
    }

    /**
     * What the stand-ins cannot show: the kubelet stand-in runs no container (it only moves the Pod through its
     * phases) and the exec stand-in runs commands as processes of the test JVM, so neither a program's signals, its
     * end, the Pod's activeDeadlineSeconds nor the container's env and working directory exist here to be checked.
     */
    @Override
    protected Optional<String> cannot(Ability ability) {
        return switch (ability) {
            case SIGTERM -> Optional.of("the kubelet stand-in runs no container to signal; the grace period is only passed on in the delete");
            case PROGRAM_ENDS_BY_ITSELF -> Optional.of("the kubelet stand-in runs no container whose program could end");
            case MAX_LIFETIME -> Optional.of("the kubelet stand-in does not enforce the Pod's activeDeadlineSeconds, as a real kubelet does");
            case ENV -> Optional.of("the exec stand-in runs commands on the test host, without the container's env");
            case WORKDIR -> Optional.of("the exec stand-in runs commands on the test host, which has no Pod file system");
            default -> Optional.empty();
        };
    }
}
