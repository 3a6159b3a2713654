package dev.devs.sandbox.kubernetes;

import dev.devs.sandbox.ExecResult;
import dev.devs.sandbox.spi.PhaseRecorder;
import dev.devs.sandbox.spi.SandboxDriver;
import dev.devs.sandbox.SandboxException;
import dev.devs.sandbox.StopOutcome;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.List;

/**
 * One claimed sandbox. {@link #stop} deletes the {@code SandboxClaim} and waits (on a watch) until it is gone; the
 * controller deletes the Sandbox and its Pod, which the claim owns.
 */
// "try": phase timers are try-with-resources whose variable is never read, by design of PhaseRecorder.
@SuppressWarnings("try")
final class ClaimHandle implements SandboxDriver.Handle {

    private final KubernetesDriver driver;
    private final String sandboxId;
    private final String claim;
    private final String pod;
    private final String container;

    ClaimHandle(KubernetesDriver driver, String sandboxId, String claim, String pod, String container) {
        this.driver = driver;
        this.sandboxId = sandboxId;
        this.claim = claim;
        this.pod = pod;
        this.container = container;
    }

    @Override
    public ExecResult exec(List<String> command, Duration timeout) throws InterruptedException {
        return PodExec.exec(driver.client(), driver.namespace(), pod, container, sandboxId, command, timeout);
    }

    @Override
    public StopOutcome stop(Duration gracePeriod, PhaseRecorder phases) throws InterruptedException {
        var resource = AgentSandboxApi.claims(driver.client()).inNamespace(driver.namespace()).withName(claim);
        try (var p = phases.phase("stop")) {
            GenericKubernetesResource before = resource.get();
            if (before == null) {
                return StopOutcome.KILLED;
            }
            // Foreground: the claim stays until the garbage collector has deleted its Sandbox and Pod, so that waiting
            // for the claim to go covers them too.
            resource.withPropagationPolicy(DeletionPropagation.FOREGROUND).withGracePeriod(PodManifest.ceilSeconds(gracePeriod)).delete();
            boolean gone = Watches.await(resource.informOnCondition(List::isEmpty), gracePeriod.plus(PodHandle.DELETION_MARGIN));
            return gone ? StopOutcome.STOPPED : StopOutcome.KILLED;
        } catch (KubernetesClientException e) {
            throw new SandboxException("stopping sandbox " + sandboxId + ": deleting SandboxClaim " + driver.namespace() + "/" + claim
                    + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public boolean isAlive() {
        try {
            GenericKubernetesResource current = AgentSandboxApi.claims(driver.client()).inNamespace(driver.namespace()).withName(claim).get();
            return current != null && current.getMetadata().getDeletionTimestamp() == null
                    && AgentSandboxApi.condition(current, "Ready").map(c -> "True".equals(c.get("status"))).orElse(false);
        } catch (KubernetesClientException e) {
            return false;
        }
    }
}
