package dev.devs.sandbox.docker;

import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.command.CreateVolumeCmd;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Mount;
import com.github.dockerjava.api.model.MountType;
import dev.devs.sandbox.SandboxSpec;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Maps a {@link SandboxSpec} to what the engine is asked to create: the container's name, labels, host
 * configuration with the secure defaults, and its scratch volumes. A pure function of the spec, the
 * sandbox id and the session id: no engine call, so unit tests can check every setting.
 */
final class ContainerSpecMapper {

    private ContainerSpecMapper() {
    }

    /**
     * What to create for one sandbox.
     *
     * @param name       the container's name, {@code devs-<sandboxId>}
     * @param spec       the spec it comes from (image, command, user, env, work directory)
     * @param labels     the spec's labels plus the driver's managed, sandbox-id and session labels
     * @param volumes    the scratch volumes, in the spec's order
     * @param hostConfig network, capabilities, file systems, limits and init
     */
    record Plan(String name, SandboxSpec spec, Map<String, String> labels, List<Volume> volumes, HostConfig hostConfig) {

        /** Fills a create command for {@link SandboxSpec#image()} with this plan. */
        CreateContainerCmd applyTo(CreateContainerCmd cmd) {
            cmd.withName(name).withLabels(labels).withWorkingDir(spec.workDir()).withHostConfig(hostConfig);
            if (!spec.command().isEmpty()) {
                cmd.withCmd(spec.command());
            }
            if (!spec.user().isEmpty()) {
                cmd.withUser(spec.user());
            }
            if (!spec.env().isEmpty()) {
                cmd.withEnv(env());
            }
            return cmd;
        }

        /** The environment as the engine takes it, {@code KEY=value}. */
        List<String> env() {
            List<String> env = new ArrayList<>();
            spec.env().forEach((k, v) -> env.add(k + "=" + v));
            return env;
        }
    }

    /**
     * One scratch volume: a local volume backed by tmpfs, writable by the unprivileged user.
     *
     * @param name       {@code devs-<sandboxId>-scratch-<n>}
     * @param target     where it is mounted in the container
     * @param driverOpts the local driver's options (tmpfs, mode 1777, size capped at the memory limit)
     * @param labels     the same labels as the container
     */
    record Volume(String name, String target, Map<String, String> driverOpts, Map<String, String> labels) {

        /** Fills a create command with this volume. */
        CreateVolumeCmd applyTo(CreateVolumeCmd cmd) {
            return cmd.withName(name).withDriver("local").withDriverOpts(driverOpts).withLabels(labels);
        }
    }

    /** The plan for sandbox {@code sandboxId} of provider session {@code sessionId}. */
    static Plan map(SandboxSpec spec, String sandboxId, String sessionId) {
        Map<String, String> all = new LinkedHashMap<>(spec.labels());
        all.put(DockerDriver.LABEL_MANAGED, "true");
        all.put(DockerDriver.LABEL_SANDBOX_ID, sandboxId);
        all.put(DockerDriver.LABEL_SESSION, sessionId);
        Map<String, String> labels = Collections.unmodifiableMap(all);

        List<Volume> volumes = new ArrayList<>();
        List<Mount> mounts = new ArrayList<>();
        List<String> paths = spec.scratchVolumes();
        for (int i = 0; i < paths.size(); i++) {
            String name = DockerDriver.NAME_PREFIX + sandboxId + "-scratch-" + i;
            Map<String, String> opts = new LinkedHashMap<>();
            opts.put("type", "tmpfs");
            opts.put("device", "tmpfs");
            opts.put("o", "mode=1777,nosuid,nodev" + sizeOption(spec));
            volumes.add(new Volume(name, paths.get(i), Collections.unmodifiableMap(opts), labels));
            mounts.add(new Mount().withType(MountType.VOLUME).withSource(name).withTarget(paths.get(i)));
        }
        return new Plan(DockerDriver.NAME_PREFIX + sandboxId, spec, labels, List.copyOf(volumes), hostConfig(spec, mounts));
    }

    /** {@code ,uid=U,gid=G} for a numeric {@code uid[:gid]} user; nothing for a user name (the engine resolves it). */
    static String ownerOptions(String user) {
        Matcher m = NUMERIC_USER.matcher(user);
        if (!m.matches()) {
            return "";
        }
        return ",uid=" + m.group(1) + (m.group(2) == null ? "" : ",gid=" + m.group(2));
    }

    private static final Pattern NUMERIC_USER = Pattern.compile("(\\d+)(?::(\\d+))?");

    private static HostConfig hostConfig(SandboxSpec spec, List<Mount> mounts) {
        // Mode 1777: the unprivileged default user must be able to write where the root file system is read-only.
        String tmpfsOptions = "rw,exec,nosuid,nodev,mode=1777" + sizeOption(spec);
        Map<String, String> tmpfs = new LinkedHashMap<>();
        // The engine creates the working directory (mode 755, root) in the image before the tmpfs is mounted on it,
        // and the runtime then gives the tmpfs that directory's mode, so mode=1777 is lost wherever the image has no
        // such directory: owning the tmpfs by the sandbox's numeric user keeps the work dir writable for it.
        tmpfs.put(spec.workDir(), tmpfsOptions + ownerOptions(spec.user()));
        if (!spec.workDir().equals("/tmp") && !spec.scratchVolumes().contains("/tmp")) {
            tmpfs.put("/tmp", tmpfsOptions);
        }
        HostConfig host = HostConfig.newHostConfig()
                .withNetworkMode(spec.network())
                .withCapDrop(Capability.ALL)
                .withSecurityOpts(List.of("no-new-privileges"))
                .withReadonlyRootfs(spec.readOnlyRootFs())
                .withTmpFs(tmpfs)
                .withMounts(mounts)
                // The engine's init as PID 1 forwards SIGTERM, so the main process can exit within the grace period.
                .withInit(true);
        if (!spec.runtime().isEmpty()) {
            host.withRuntime(spec.runtime());
        }
        if (spec.pidsLimit() > 0) {
            host.withPidsLimit(spec.pidsLimit());
        }
        if (spec.memoryBytes() > 0) {
            // Swap equal to memory means no swap: the limit is the limit.
            host.withMemory(spec.memoryBytes()).withMemorySwap(spec.memoryBytes());
        }
        if (spec.cpus() > 0) {
            host.withNanoCPUs(Math.round(spec.cpus() * 1e9));
        }
        return host;
    }

    private static String sizeOption(SandboxSpec spec) {
        return spec.memoryBytes() > 0 ? ",size=" + spec.memoryBytes() : "";
    }
}
