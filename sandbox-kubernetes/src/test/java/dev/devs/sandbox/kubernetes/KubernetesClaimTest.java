package dev.devs.sandbox.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.devs.sandbox.ImageNotFoundException;
import dev.devs.sandbox.ResourceLabels;
import dev.devs.sandbox.Sandbox;
import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.SandboxTimeoutException;
import dev.devs.sandbox.StartType;
import dev.devs.sandbox.StopOutcome;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Claim mode against the agent-sandbox controller stand-in: pooled and cold claims, stop, a missing template. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class KubernetesClaimTest {

    @RegisterExtension
    static final ClusterStandIn cluster = new ClusterStandIn();

    @BeforeAll
    static void createTemplatesAndPool() {
        cluster.controller().createTemplate("python", "python:3.12-slim", List.of("sleep", "3600"));
        cluster.controller().createTemplate("node", "node:22-slim", List.of("sleep", "3600"));
        cluster.controller().createWarmPool("python-pool", "python", 1);
    }

    @Test
    void aClaimServedFromTheWarmPoolIsPooledAndTheNextOneIsCold() throws Exception {
        awaitIdleWarmSandboxes("python-pool", 1);
        try (SandboxProvider provider = SandboxProvider.builder(driver("python")).build()) {
            Sandbox pooled = provider.start(SandboxSpec.builder().env("TASK", "t1").build());
            Sandbox cold = provider.start(SandboxSpec.builder().build());

            assertThat(pooled.startType()).isEqualTo(StartType.POOLED);
            assertThat(cold.startType()).isEqualTo(StartType.COLD);
            assertThat(pooled.phases()).containsOnlyKeys("create", "claim", "sandbox");
            assertThat(pooled.attributes()).containsEntry("sandboxClaim", "devs-" + pooled.id()).containsEntry("sandboxTemplate", "python");
            assertThat(pooled.attributes().get("sandbox")).startsWith("python-pool-");
            assertThat(pooled.exec("echo", "claimed").stdout()).isEqualTo("claimed\n");

            GenericKubernetesResource claim = claim(pooled.id());
            assertThat(claim.getMetadata().getLabels()).containsEntry(ResourceLabels.SANDBOX_ID, pooled.id())
                    .containsEntry(ResourceLabels.MANAGED, "true").containsEntry(ResourceLabels.SESSION, provider.sessionId());
            Map<?, ?> spec = (Map<?, ?>) claim.getAdditionalProperties().get("spec");
            assertThat(spec.get("sandboxTemplateRef")).isEqualTo(Map.of("name", "python"));
            assertThat(spec.get("env")).isEqualTo(List.of(Map.of("name", "TASK", "value", "t1")));
            assertThat(((Map<?, ?>) spec.get("lifecycle")).get("shutdownPolicy")).isEqualTo("Delete");
        }
    }

    @Test
    void stopDeletesTheClaimAndWithItTheSandboxAndPod() {
        try (SandboxProvider provider = SandboxProvider.builder(driver("node")).build()) {
            Sandbox sandbox = provider.start(SandboxSpec.builder().build());
            String pod = sandbox.attributes().get("pod");
            assertThat(cluster.control().pods().inNamespace(ClusterStandIn.NAMESPACE).withName(pod).get()).isNotNull();

            assertThat(sandbox.stop()).isEqualTo(StopOutcome.STOPPED);

            assertThat(claim(sandbox.id())).isNull();
            cluster.assertNothingLeftOf(sandbox.id());
        }
    }

    @Test
    void aMissingTemplateIsNamedAndTheClaimRemoved() {
        try (SandboxProvider provider = SandboxProvider.builder(driver("ruby")).build()) {
            Throwable e = catchThrowable(() -> provider.start(SandboxSpec.builder().build()));

            assertThat(e).isInstanceOf(ImageNotFoundException.class).hasMessageContaining("SandboxTemplate 'ruby' not found")
                    .hasMessageContaining("namespace '" + ClusterStandIn.NAMESPACE + "'").hasMessageContaining("TemplateNotFound");
            cluster.assertNothingLeftOf(((ImageNotFoundException) e).sandboxId());
        }
    }

    @Test
    void aReadinessProbeStillRunningAtTheStartupTimeoutFailsTheStartAsATimeout() {
        // The probe outlives what is left of the start (a local process of the exec stand-in, which ends by itself soon
        // after): the start's deadline, not the probe's own exec timeout, is what the failure names.
        Duration startupTimeout = Duration.ofSeconds(2);
        SandboxSpec spec = SandboxSpec.builder().readinessProbe("sleep", "4").startupTimeout(startupTimeout).build();
        try (SandboxProvider provider = SandboxProvider.builder(driver("node")).build()) {
            Throwable e = catchThrowable(() -> provider.start(spec));

            assertThat(e).isInstanceOf(SandboxTimeoutException.class).hasMessageContaining("readiness probe [sleep, 4]");
            assertThat(((SandboxTimeoutException) e).timeout()).isEqualTo(startupTimeout);
            cluster.assertNothingLeftOf(((SandboxTimeoutException) e).sandboxId());
        }
    }

    @Test
    void aSpecThatNamesAnImageIsRefusedInClaimMode() {
        assertThatThrownBy(() -> driver("python").validate(SandboxSpec.builder("busybox:1.36").build()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("image 'busybox:1.36'")
                .hasMessageContaining("SandboxTemplate 'python'");
    }

    private static KubernetesDriver driver(String template) {
        return cluster.podDriver().sandboxTemplate(template).build();
    }

    private static GenericKubernetesResource claim(String sandboxId) {
        return cluster.control().genericKubernetesResources(AgentSandboxApi.CLAIMS).inNamespace(ClusterStandIn.NAMESPACE)
                .withName("devs-" + sandboxId).get();
    }

    private static void awaitIdleWarmSandboxes(String pool, int count) throws InterruptedException {
        // The pool fills asynchronously, as a real controller's does; wait (bounded by @Timeout) until it has.
        while (cluster.controller().idleWarmSandboxes(pool) < count || !cluster.controller().warmPoolReady(pool)) {
            TimeUnit.MILLISECONDS.sleep(20);
        }
    }

}
