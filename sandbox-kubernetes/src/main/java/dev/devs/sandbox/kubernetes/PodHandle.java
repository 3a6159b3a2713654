package dev.devs.sandbox.kubernetes;

import dev.devs.sandbox.ExecResult;
import dev.devs.sandbox.spi.PhaseRecorder;
import dev.devs.sandbox.spi.SandboxDriver;
import dev.devs.sandbox.SandboxException;
import dev.devs.sandbox.StopOutcome;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One ready sandbox Pod. {@link #stop} deletes it with the grace period, waits (on a watch) until it is gone, then
 * deletes its NetworkPolicy.
 */
// "try": phase timers are try-with-resources whose variable is never read, by design of PhaseRecorder.
@SuppressWarnings("try")
final class PodHandle implements SandboxDriver.Handle {

    /** Beyond the grace period: time for the kubelet to report the Pod gone after it killed the container. */
    static final Duration DELETION_MARGIN = Duration.ofSeconds(30);

    private final KubernetesDriver driver;
    private final String sandboxId;
    private final String pod;
    private final boolean hasNetworkPolicy;

    PodHandle(KubernetesDriver driver, String sandboxId, String pod, boolean hasNetworkPolicy) {
        this.driver = driver;
        this.sandboxId = sandboxId;
        this.pod = pod;
        this.hasNetworkPolicy = hasNetworkPolicy;
    }

    @Override
    public ExecResult exec(List<String> command, Duration timeout) throws InterruptedException {
        return PodExec.exec(driver.client(), driver.namespace(), pod, PodManifest.CONTAINER, sandboxId, command, timeout);
    }

    @Override
    public StopOutcome stop(Duration gracePeriod, PhaseRecorder phases) throws InterruptedException {
        var pods = driver.client().pods().inNamespace(driver.namespace()).withName(pod);
        AtomicReference<Pod> last = new AtomicReference<>();
        boolean gone;
        try (var p = phases.phase("stop")) {
            Pod before = pods.get();
            if (before != null) {
                last.set(before);
                pods.withGracePeriod(PodManifest.ceilSeconds(gracePeriod)).delete();
            }
            gone = before == null || Watches.await(pods.informOnCondition(list -> {
                if (!list.isEmpty()) {
                    last.set(list.get(0));
                }
                return list.isEmpty();
            }), gracePeriod.plus(DELETION_MARGIN));
        } catch (KubernetesClientException e) {
            throw new SandboxException("stopping sandbox " + sandboxId + ": deleting Pod " + driver.namespace() + "/" + pod
                    + " failed: " + e.getMessage(), e);
        }
        if (!gone) {
            // The kubelet did not confirm in time (a lost node): take the Pod out of the API so that nothing is left.
            pods.withGracePeriod(0).delete();
        }
        if (hasNetworkPolicy) {
            try (var p = phases.phase("remove")) {
                driver.client().network().v1().networkPolicies().inNamespace(driver.namespace()).withName(pod).delete();
            }
        }
        return outcome(last.get(), gone);
    }

    /**
     * KILLED when the Pod had already ended or gone on its own, when its container ended by SIGKILL (the grace period
     * ran out), or when the kubelet never confirmed; STOPPED when it exited within the grace period.
     */
    private static StopOutcome outcome(Pod last, boolean gone) {
        if (last == null || !gone) {
            return StopOutcome.KILLED;
        }
        PodStatusView view = new PodStatusView(last);
        boolean endedBefore = "Failed".equals(view.phase()) || "Succeeded".equals(view.phase());
        return endedBefore || view.wasKilled() ? StopOutcome.KILLED : StopOutcome.STOPPED;
    }

    @Override
    public boolean isAlive() {
        try {
            Pod current = driver.client().pods().inNamespace(driver.namespace()).withName(pod).get();
            return current != null && current.getMetadata().getDeletionTimestamp() == null
                    && "Running".equals(current.getStatus() == null ? null : current.getStatus().getPhase());
        } catch (KubernetesClientException e) {
            return false;
        }
    }
}
