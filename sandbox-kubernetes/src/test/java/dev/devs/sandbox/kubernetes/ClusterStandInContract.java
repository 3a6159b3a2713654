package dev.devs.sandbox.kubernetes;

import dev.devs.sandbox.tck.SandboxDriverContract;
import java.util.Optional;

/**
 * The shared driver contract run against the {@link ClusterStandIn}: what both modes (Pod and claim) check of the
 * cluster after a sandbox, and what the stand-ins cannot show. Subclasses hold the cluster and pick the mode.
 */
abstract class ClusterStandInContract extends SandboxDriverContract {

    /** The stand-in cluster of the running test class. */
    protected abstract ClusterStandIn cluster();

    @Override
    protected void assertNothingLeftBehind(String sandboxId) {
        cluster().assertNothingLeftOf(sandboxId);
    }

    @Override
    protected void assertNothingLeftOfSession(String sessionId) {
        cluster().assertNothingLeftOfSession(sessionId);
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
