package dev.devs.sandbox.benchmarks;

import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.HostConfig;
import dev.devs.sandbox.SandboxSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Translates a {@link SandboxSpec} into the container settings every peer uses: the host settings our
 * DockerDriver applies for the same spec (network, capabilities, no-new-privileges, read-only root with tmpfs
 * at the work dir and {@code /tmp}, the engine's init as PID 1, user, memory without swap, pids and CPU
 * limits), so that a peer does the same work and a ratio measures overhead rather than different containers.
 * Keep in step with {@code ContainerSpecMapper.map} in sandbox-docker.
 */
final class PeerContainers {

    private PeerContainers() {
    }

    /** Our labels: managed, session, and the sample id in the place of a sandbox id. */
    static Map<String, String> labels(SandboxSpec spec, String sampleId, String peerName) {
        Map<String, String> labels = new LinkedHashMap<>(spec.labels());
        labels.put(BenchmarkEnvironment.LABEL_MANAGED, "true");
        labels.put(BenchmarkEnvironment.LABEL_ID, sampleId);
        labels.put(BenchmarkEnvironment.LABEL_SESSION, BenchmarkEnvironment.SESSION);
        labels.put("dev.devs.benchmark.peer", peerName);
        return labels;
    }

    /** The tmpfs mounts, as the driver makes them: the work dir and {@code /tmp}, mode 1777, capped at the memory limit. */
    static Map<String, String> tmpfs(SandboxSpec spec) {
        String options = "rw,exec,nosuid,nodev,mode=1777" + (spec.memoryBytes() > 0 ? ",size=" + spec.memoryBytes() : "");
        Map<String, String> tmpfs = new LinkedHashMap<>();
        tmpfs.put(spec.workDir(), options);
        if (!spec.workDir().equals("/tmp") && !spec.scratchVolumes().contains("/tmp")) {
            tmpfs.put("/tmp", options);
        }
        return tmpfs;
    }

    /** The docker-java host config (raw engine API, Testcontainers). */
    static HostConfig hostConfig(SandboxSpec spec) {
        HostConfig hc = HostConfig.newHostConfig()
                .withNetworkMode(spec.network())
                .withCapDrop(Capability.ALL)
                .withSecurityOpts(List.of("no-new-privileges"))
                .withReadonlyRootfs(spec.readOnlyRootFs())
                .withTmpFs(tmpfs(spec))
                .withInit(true);
        if (spec.memoryBytes() > 0) {
            hc.withMemory(spec.memoryBytes()).withMemorySwap(spec.memoryBytes());
        }
        if (spec.pidsLimit() > 0) {
            hc.withPidsLimit(spec.pidsLimit());
        }
        if (spec.cpus() > 0) {
            hc.withNanoCPUs(Math.round(spec.cpus() * 1e9));
        }
        return hc;
    }

    /** The same settings as {@code docker run} flags, ending with the image and the command. */
    static List<String> dockerRunArgs(SandboxSpec spec, String sampleId, String peerName) {
        List<String> args = new ArrayList<>(List.of("run", "-d", "--name", sampleId));
        labels(spec, sampleId, peerName).forEach((k, v) -> {
            args.add("--label");
            args.add(k + "=" + v);
        });
        args.addAll(List.of("--network", spec.network(), "--cap-drop", "ALL", "--security-opt", "no-new-privileges", "--init"));
        tmpfs(spec).forEach((path, options) -> args.addAll(List.of("--tmpfs", path + ":" + options)));
        if (spec.readOnlyRootFs()) {
            args.add("--read-only");
        }
        if (!spec.user().isEmpty()) {
            args.addAll(List.of("--user", spec.user()));
        }
        args.addAll(List.of("--workdir", spec.workDir()));
        if (spec.memoryBytes() > 0) {
            args.addAll(List.of("--memory", Long.toString(spec.memoryBytes()), "--memory-swap", Long.toString(spec.memoryBytes())));
        }
        if (spec.pidsLimit() > 0) {
            args.addAll(List.of("--pids-limit", Long.toString(spec.pidsLimit())));
        }
        if (spec.cpus() > 0) {
            args.addAll(List.of("--cpus", Double.toString(spec.cpus())));
        }
        spec.env().forEach((k, v) -> args.addAll(List.of("--env", k + "=" + v)));
        args.add(spec.image());
        args.addAll(spec.command());
        return args;
    }

    /** Environment entries as the engine wants them. */
    static List<String> env(SandboxSpec spec) {
        List<String> env = new ArrayList<>();
        spec.env().forEach((k, v) -> env.add(k + "=" + v));
        return env;
    }
}
