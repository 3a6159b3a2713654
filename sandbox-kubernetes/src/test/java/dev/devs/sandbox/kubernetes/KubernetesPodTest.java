package dev.devs.sandbox.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.devs.sandbox.ExecResult;
import dev.devs.sandbox.ResourceLabels;
import dev.devs.sandbox.Sandbox;
import dev.devs.sandbox.SandboxExecTimeoutException;
import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.SandboxTimeoutException;
import dev.devs.sandbox.StartType;
import dev.devs.sandbox.tck.Patience;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Pod mode as the API sees it: the Pod and NetworkPolicy the driver creates, its phases, start types and exec. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class KubernetesPodTest {

    @RegisterExtension
    static final ClusterStandIn cluster = new ClusterStandIn();

    @Test
    void podCarriesTheRestrictedSecureDefaultsLimitsLifetimeAndLabels() {
        SandboxSpec spec = SandboxSpec.builder("busybox:1.36").command("sleep", "3600").cpus(0.5).memoryBytes(256L * 1024 * 1024)
                .workDir("/work").scratchVolume("/data").label("team", "search").stopGracePeriod(Duration.ofMillis(1500)).build();
        try (SandboxProvider provider = SandboxProvider.builder(cluster.podDriver().runtimeClassName("gvisor")
                .maxLifetime(Duration.ofMinutes(20)).build()).build();
             Sandbox sandbox = provider.start(spec)) {
            Pod pod = cluster.control().pods().inNamespace(ClusterStandIn.NAMESPACE).withName("devs-" + sandbox.id()).get();

            assertThat(pod.getMetadata().getLabels()).containsEntry(ResourceLabels.MANAGED, "true")
                    .containsEntry(ResourceLabels.SANDBOX_ID, sandbox.id())
                    .containsEntry(ResourceLabels.SESSION, provider.sessionId()).containsEntry("team", "search");
            assertThat(pod.getSpec().getActiveDeadlineSeconds()).isEqualTo(1200L);
            assertThat(pod.getSpec().getTerminationGracePeriodSeconds()).isEqualTo(2L);
            assertThat(pod.getSpec().getAutomountServiceAccountToken()).isFalse();
            assertThat(pod.getSpec().getRuntimeClassName()).isEqualTo("gvisor");
            assertThat(pod.getSpec().getRestartPolicy()).isEqualTo("Never");
            assertThat(pod.getSpec().getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
            Container c = pod.getSpec().getContainers().get(0);
            assertThat(c.getArgs()).containsExactly("sleep", "3600");
            assertThat(c.getSecurityContext().getRunAsNonRoot()).isTrue();
            assertThat(c.getSecurityContext().getRunAsUser()).isEqualTo(65534L);
            assertThat(c.getSecurityContext().getRunAsGroup()).isEqualTo(65534L);
            assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
            assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
            assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
            assertThat(c.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
            assertThat(c.getResources().getLimits().get("cpu").toString()).isEqualTo("500m");
            assertThat(c.getResources().getLimits().get("memory").getNumericalAmount().longValueExact()).isEqualTo(256L * 1024 * 1024);
            assertThat(c.getVolumeMounts()).extracting(m -> m.getMountPath()).containsExactlyInAnyOrder("/work", "/tmp", "/data");
            assertThat(pod.getSpec().getVolumes()).allSatisfy(v -> assertThat(v.getEmptyDir().getMedium()).isEqualTo("Memory"));

            NetworkPolicy policy = cluster.control().network().v1().networkPolicies().inNamespace(ClusterStandIn.NAMESPACE)
                    .withName("devs-" + sandbox.id()).get();
            assertThat(policy.getSpec().getPodSelector().getMatchLabels()).containsEntry(ResourceLabels.SANDBOX_ID, sandbox.id());
            assertThat(policy.getSpec().getPolicyTypes()).containsExactly("Ingress", "Egress");
            assertThat(policy.getSpec().getIngress()).isNullOrEmpty();
            assertThat(policy.getSpec().getEgress()).isNullOrEmpty();
        }
    }

    @Test
    void aSpecsShorterMaxLifetimeIsThePodsDeadline() {
        SandboxSpec spec = SandboxSpec.builder("busybox:1.36").command("sleep", "3600").maxLifetime(Duration.ofMinutes(5)).build();
        try (SandboxProvider provider = SandboxProvider.builder(cluster.podDriver().maxLifetime(Duration.ofMinutes(20)).build()).build();
             Sandbox sandbox = provider.start(spec)) {
            Pod pod = cluster.control().pods().inNamespace(ClusterStandIn.NAMESPACE).withName("devs-" + sandbox.id()).get();
            assertThat(pod.getSpec().getActiveDeadlineSeconds()).isEqualTo(300L);
        }
    }

    @Test
    void bridgeNetworkGetsNoPolicyAndNoneIsRefusedWithoutPolicies() {
        try (SandboxProvider provider = SandboxProvider.builder(cluster.podDriver().build()).build();
             Sandbox sandbox = provider.start(SandboxSpec.builder("busybox:1.36").network("bridge").build())) {
            assertThat(cluster.control().network().v1().networkPolicies().inNamespace(ClusterStandIn.NAMESPACE)
                    .withName("devs-" + sandbox.id()).get()).isNull();
        }
        KubernetesDriver noPolicies = cluster.podDriver().networkPolicies(false).build();
        assertThatThrownBy(() -> noPolicies.validate(SandboxSpec.builder("busybox:1.36").build()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("network 'none' cannot be guaranteed");
    }

    @Test
    void phasesFollowThePodsMilestonesAndTheImageDecidesColdOrWarm() {
        String image = "busybox:cold-then-warm";
        try (SandboxProvider provider = SandboxProvider.builder(cluster.podDriver().build()).build()) {
            Sandbox first = provider.start(SandboxSpec.builder(image).build());
            Sandbox second = provider.start(SandboxSpec.builder(image).build());

            assertThat(first.startType()).isEqualTo(StartType.COLD);
            assertThat(second.startType()).isEqualTo(StartType.WARM);
            assertThat(first.phases()).containsOnlyKeys("create", "schedule", "start", "ready", "start-type");
            assertThat(first.attributes()).containsEntry("pod", "devs-" + first.id()).containsEntry("node", KubeletStandIn.NODE)
                    .containsEntry("namespace", ClusterStandIn.NAMESPACE).containsEntry("image", image)
                    .containsKeys("podScheduledAt", "containerStartedAt", "podReadyAt");
        }
    }

    @Test
    void execReturnsExitCodeAndBothStreamsAndTimesOut() {
        try (SandboxProvider provider = SandboxProvider.builder(cluster.podDriver().build()).build();
             Sandbox sandbox = provider.start(SandboxSpec.builder("busybox:1.36").build())) {
            ExecResult r = sandbox.exec(List.of("sh", "-c", "echo out; echo err >&2; exit 3"), Duration.ofSeconds(20));

            assertThat(r.exitCode()).isEqualTo(3);
            assertThat(r.stdout()).isEqualTo("out\n");
            assertThat(r.stderr()).isEqualTo("err\n");
            assertThatThrownBy(() -> sandbox.exec(List.of("sleep", "30"), Duration.ofMillis(500)))
                    .isInstanceOf(SandboxExecTimeoutException.class).hasMessageContaining("[sleep, 30]").hasMessageContaining("PT0.5S");
        }
    }

    /**
     * The exec stand-in, like a kubelet, lets a command run on when its connection is closed: only the driver's kill
     * ends it. The command's background child writes its pid where this test (whose JVM runs the stand-in's processes)
     * can read it.
     */
    @Test
    void anExecTimeoutEndsTheCommandAndTheChildrenItStarted(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path childPid = dir.resolve("child.pid");
        try (SandboxProvider provider = SandboxProvider.builder(cluster.podDriver().build()).build();
             Sandbox sandbox = provider.start(SandboxSpec.builder("busybox:1.36").build())) {
            List<String> command = List.of("sh", "-c", "sleep 600 & echo $! > " + childPid + ".tmp; mv " + childPid + ".tmp " + childPid + "; wait");

            assertThatThrownBy(() -> sandbox.exec(command, Patience.seconds(3)))
                    .isInstanceOf(SandboxExecTimeoutException.class).hasMessageContaining("it and its children were killed");
            org.awaitility.Awaitility.await().atMost(Patience.seconds(10)).until(() -> java.nio.file.Files.exists(childPid));
            long pid = Long.parseLong(java.nio.file.Files.readString(childPid).trim());
            try {
                org.awaitility.Awaitility.await().atMost(Patience.seconds(10))
                        .until(() -> ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true));
            } finally {
                // Had the driver not ended it, the stand-in could not: the child was re-parented away from its process.
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
            assertThat(sandbox.exec("echo", "still usable").stdout()).isEqualTo("still usable\n");
        }
    }

    @Test
    void anImageWithoutAShellStillRunsCommandsAsGiven() {
        try (SandboxProvider provider = SandboxProvider.builder(cluster.podDriver().build()).build();
             Sandbox sandbox = provider.start(SandboxSpec.builder("busybox:1.36").build())) {
            cluster.imageWithoutShell(true);
            try {
                ExecResult r = sandbox.exec("echo", "no shell needed");

                assertThat(r.exitCode()).isZero();
                assertThat(r.stdout()).isEqualTo("no shell needed\n");
                assertThat(List.copyOf(cluster.execs()).get(cluster.execs().size() - 1).command()).containsExactly("echo", "no shell needed");
            } finally {
                cluster.imageWithoutShell(false);
            }
        }
    }

    @Test
    void aPodThatDiedIsReportedKilledAndStillRemoved() {
        try (SandboxProvider provider = SandboxProvider.builder(cluster.podDriver().build()).build()) {
            Sandbox sandbox = provider.start(SandboxSpec.builder("busybox:1.36").build());
            // What the kubelet reports when activeDeadlineSeconds runs out.
            cluster.control().pods().inNamespace(ClusterStandIn.NAMESPACE).withName("devs-" + sandbox.id()).editStatus(p -> {
                p.getStatus().setPhase("Failed");
                p.getStatus().setReason("DeadlineExceeded");
                return p;
            });

            assertThat(sandbox.isAlive()).isFalse();
            assertThat(sandbox.stop()).isEqualTo(dev.devs.sandbox.StopOutcome.KILLED);
            cluster.assertNothingLeftOf(sandbox.id());
        }
    }
}
