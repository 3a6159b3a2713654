package dev.devs.sandbox.kubernetes;

import dev.devs.sandbox.spi.SandboxDriver;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.tck.SandboxDriverContract;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The shared driver contract, run in claim mode against the {@link ClusterStandIn} with the agent-sandbox controller
 * stand-in: verified against the API, not a live cluster.
 */
class KubernetesClaimContractTest extends SandboxDriverContract {

    private static ClusterStandIn cluster;

    @BeforeAll
    static void startCluster() {
        cluster = new ClusterStandIn();
        cluster.controller().createTemplate("shell", "busybox:1.36", List.of("sleep", "3600"));
    }

    @AfterAll
    static void stopCluster() {
        cluster.close();
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
