package dev.devs.sandbox.kubernetes;

import dev.devs.sandbox.ResourceLabels;
import dev.devs.sandbox.SandboxSpec;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a {@link SandboxSpec} into the Pod (and, for network {@code none}, the deny-all NetworkPolicy) of one
 * sandbox, with the design's secure defaults expressed as Pod Security "restricted" asks for them.
 */
final class PodManifest {

    /** The one container of a sandbox Pod; exec runs in it. */
    static final String CONTAINER = "sandbox";

    private PodManifest() {
    }

    /** {@code devs-<sandboxId>}: the Pod's and the NetworkPolicy's name. */
    static String name(String sandboxId) {
        return ResourceLabels.NAME_PREFIX + sandboxId;
    }

    /** The design's three labels plus the spec's own. */
    static Map<String, String> labels(SandboxSpec spec, String sandboxId, String sessionId) {
        Map<String, String> labels = new LinkedHashMap<>(spec.labels());
        labels.put(ResourceLabels.MANAGED, "true");
        labels.put(ResourceLabels.SANDBOX_ID, sandboxId);
        labels.put(ResourceLabels.SESSION, sessionId);
        return labels;
    }

    static Pod pod(SandboxSpec spec, String sandboxId, Map<String, String> labels, String runtimeClassName, Duration maxLifetime) {
        Long[] user = KubernetesSpecValidator.parseUser(spec.user());
        List<Volume> volumes = new ArrayList<>();
        List<VolumeMount> mounts = new ArrayList<>();
        // The root file system is read-only: the work directory, /tmp and the scratch paths are emptyDirs, which
        // live and die with the Pod like the Docker driver's tmpfs mounts and volumes.
        addEmptyDir("work", spec.workDir(), spec, volumes, mounts);
        if (!spec.workDir().equals("/tmp") && !spec.scratchVolumes().contains("/tmp")) {
            addEmptyDir("tmp", "/tmp", spec, volumes, mounts);
        }
        for (int i = 0; i < spec.scratchVolumes().size(); i++) {
            addEmptyDir("scratch-" + i, spec.scratchVolumes().get(i), spec, volumes, mounts);
        }
        Container container = new ContainerBuilder()
                .withName(CONTAINER)
                .withImage(spec.image())
                .withImagePullPolicy("IfNotPresent")
                .withArgs(spec.command().isEmpty() ? null : spec.command())
                .withEnv(env(spec.env()))
                .withWorkingDir(spec.workDir())
                .withVolumeMounts(mounts)
                .withNewResources().withLimits(limits(spec)).endResources()
                .withNewSecurityContext()
                    .withRunAsNonRoot(true)
                    .withRunAsUser(user[0])
                    .withRunAsGroup(user[1])
                    .withAllowPrivilegeEscalation(false)
                    .withPrivileged(false)
                    .withReadOnlyRootFilesystem(spec.readOnlyRootFs())
                    .withNewCapabilities().withDrop("ALL").endCapabilities()
                    .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile()
                .endSecurityContext()
                .withReadinessProbe(spec.readinessProbe().isEmpty() ? null : new io.fabric8.kubernetes.api.model.ProbeBuilder()
                        .withNewExec().withCommand(spec.readinessProbe()).endExec()
                        .withPeriodSeconds(1).withFailureThreshold(1).withTimeoutSeconds(1).build())
                .build();
        return new PodBuilder()
                .withNewMetadata().withName(name(sandboxId)).withLabels(labels).endMetadata()
                .withNewSpec()
                    .withContainers(container)
                    .withVolumes(volumes)
                    .withRestartPolicy("Never")
                    // The maximum lifetime: a Pod whose owner died ends by itself.
                    .withActiveDeadlineSeconds(maxLifetime.toSeconds())
                    .withTerminationGracePeriodSeconds(ceilSeconds(spec.stopGracePeriod()))
                    .withAutomountServiceAccountToken(false)
                    .withEnableServiceLinks(false)
                    .withRuntimeClassName(runtimeClassName)
                    .withNewSecurityContext()
                        .withRunAsNonRoot(true)
                        .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile()
                    .endSecurityContext()
                .endSpec()
                .build();
    }

    /** Denies all ingress and egress of the sandbox's Pod: network {@code none}, where the CNI enforces policies. */
    static NetworkPolicy denyAll(String sandboxId, Map<String, String> labels) {
        return new NetworkPolicyBuilder()
                .withNewMetadata().withName(name(sandboxId)).withLabels(labels).endMetadata()
                .withNewSpec()
                    .withNewPodSelector().addToMatchLabels(ResourceLabels.SANDBOX_ID, sandboxId).endPodSelector()
                    .withPolicyTypes("Ingress", "Egress")
                .endSpec()
                .build();
    }

    static long ceilSeconds(Duration d) {
        return d.plusNanos(999_999_999).toSeconds();
    }

    private static void addEmptyDir(String name, String path, SandboxSpec spec, List<Volume> volumes, List<VolumeMount> mounts) {
        // Memory-backed like a tmpfs, capped at the memory limit, which it counts against.
        volumes.add(new VolumeBuilder().withName(name).withNewEmptyDir().withMedium("Memory")
                .withSizeLimit(spec.memoryBytes() > 0 ? new Quantity(Long.toString(spec.memoryBytes())) : null)
                .endEmptyDir().build());
        mounts.add(new VolumeMountBuilder().withName(name).withMountPath(path).build());
    }

    private static Map<String, Quantity> limits(SandboxSpec spec) {
        Map<String, Quantity> limits = new LinkedHashMap<>();
        if (spec.cpus() > 0) {
            limits.put("cpu", new Quantity(Math.max(1, (long) Math.ceil(spec.cpus() * 1000)) + "m"));
        }
        if (spec.memoryBytes() > 0) {
            limits.put("memory", new Quantity(Long.toString(spec.memoryBytes())));
        }
        return limits;
    }

    private static List<EnvVar> env(Map<String, String> env) {
        List<EnvVar> vars = new ArrayList<>();
        env.forEach((k, v) -> vars.add(new EnvVar(k, v, null)));
        return vars;
    }
}
