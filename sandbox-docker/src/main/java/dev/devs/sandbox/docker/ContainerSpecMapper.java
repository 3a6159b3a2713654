package dev.devs.sandbox.docker;

import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.Driver;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Mount;
import com.github.dockerjava.api.model.MountType;
import com.github.dockerjava.api.model.VolumeOptions;
import dev.devs.sandbox.ResourceLabels;
import dev.devs.sandbox.SandboxSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Maps a {@link SandboxSpec} to what the engine is asked to create: the container's name, labels, host
 * configuration with the secure defaults, its scratch volumes, and the {@link OwnerWatchdog} its command runs
 * under. A pure function of the spec, the sandbox id, the session id, the owner and the time: no engine call,
 * so unit tests can check every setting.
 *
 * <p>Ownership: the container has an open stdin that the engine closes when its one attached client leaves
 * ({@code StdinOnce}), {@code AutoRemove}, and scratch volumes that are anonymous (mounts of type volume without
 * a name), so that when the watchdog ends the sandbox the engine removes the container and its volumes with no
 * one asking.
 */
final class ContainerSpecMapper {

    private ContainerSpecMapper() {
    }

    /**
     * What to create for one sandbox.
     *
     * @param name       the container's name, {@code devs-<sandboxId>}
     * @param spec       the spec it comes from (image, command, user, env, work directory)
     * @param labels     the spec's labels plus the driver's managed, sandbox-id, session, owner and expiry labels
     * @param volumes    the scratch volumes, in the spec's order
     * @param hostConfig network, capabilities, file systems, limits, init and auto-removal
     */
    record Plan(String name, SandboxSpec spec, Map<String, String> labels, List<Volume> volumes, HostConfig hostConfig) {

        /**
         * This plan without the mount options Podman 4.3 refuses (docs/operations/podman.md): {@code uid=}/{@code gid=}
         * on a tmpfs, {@code size=} on a tmpfs-backed volume. The plan is this start's own: it changes in place.
         */
        Plan withoutOptionsPodmanRefuses() {
            Map<String, String> tmpfs = new LinkedHashMap<>();
            hostConfig.getTmpFs().forEach((path, options) -> tmpfs.put(path, options.replaceAll(",(uid|gid)=\\d+", "")));
            hostConfig.withTmpFs(tmpfs);
            List<Mount> mounts = new ArrayList<>();
            for (Volume v : volumes) {
                Map<String, String> opts = new LinkedHashMap<>(v.driverOpts());
                opts.computeIfPresent("o", (k, o) -> o.replaceAll(",?size=[^,]*", ""));
                mounts.add(new Volume(v.target(), opts, v.labels()).mount());
            }
            hostConfig.withMounts(mounts);
            return this;
        }

        /**
         * Fills a create command for {@link SandboxSpec#image()} with this plan.
         *
         * @param command what the watchdog runs: the spec's command, or the image's entrypoint and command
         */
        CreateContainerCmd applyTo(CreateContainerCmd cmd, List<String> command) {
            cmd.withName(name).withLabels(labels).withWorkingDir(spec.workDir()).withHostConfig(hostConfig)
                    .withEntrypoint(OwnerWatchdog.entrypoint(spec.maxLifetime()))
                    .withCmd(command)
                    .withStdinOpen(true).withStdInOnce(true).withAttachStdin(true).withTty(false);
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
     * One scratch volume: an anonymous local volume backed by tmpfs, writable by the unprivileged user, created
     * by the engine with the container and removed with it.
     *
     * @param target     where it is mounted in the container
     * @param driverOpts the local driver's options (tmpfs, mode 1777, size capped at the memory limit)
     * @param labels     the same labels as the container
     */
    record Volume(String target, Map<String, String> driverOpts, Map<String, String> labels) {

        /** The mount that makes the engine create it. */
        Mount mount() {
            return new Mount().withType(MountType.VOLUME).withTarget(target).withVolumeOptions(new VolumeOptions()
                    .withLabels(labels).withDriverConfig(new Driver().withName("local").withOptions(driverOpts)));
        }
    }

    /** The plan for sandbox {@code sandboxId} of provider session {@code sessionId}, owned by this JVM, now. */
    static Plan map(SandboxSpec spec, String sandboxId, String sessionId) {
        return map(spec, sandboxId, sessionId, Owner.current(), Instant.now());
    }

    /** The plan for sandbox {@code sandboxId} of provider session {@code sessionId}, owned by {@code owner}, made at {@code now}. */
    static Plan map(SandboxSpec spec, String sandboxId, String sessionId, Owner owner, Instant now) {
        Map<String, String> all = new LinkedHashMap<>(spec.labels());
        all.put(ResourceLabels.MANAGED, "true");
        all.put(ResourceLabels.SANDBOX_ID, sandboxId);
        all.put(ResourceLabels.SESSION, sessionId);
        all.putAll(owner.labels());
        // Past this, nobody may still want it: the sweep removes it whoever owns it.
        all.put(Owner.LABEL_EXPIRES, Long.toString(now.plus(spec.startupTimeout()).plus(spec.maxLifetime()).getEpochSecond()));
        Map<String, String> labels = Collections.unmodifiableMap(all);

        List<Volume> volumes = new ArrayList<>();
        List<Mount> mounts = new ArrayList<>();
        List<String> paths = spec.scratchVolumes();
        for (int i = 0; i < paths.size(); i++) {
            Map<String, String> opts = new LinkedHashMap<>();
            opts.put("type", "tmpfs");
            opts.put("device", "tmpfs");
            opts.put("o", "mode=1777,nosuid,nodev" + sizeOption(spec));
            Volume v = new Volume(paths.get(i), Collections.unmodifiableMap(opts), labels);
            volumes.add(v);
            mounts.add(v.mount());
        }
        return new Plan(ResourceLabels.NAME_PREFIX + sandboxId, spec, labels, List.copyOf(volumes), hostConfig(spec, mounts));
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
                .withInit(true)
                // The engine removes the container, and its anonymous volumes, once it exits: also when no one is left to ask.
                .withAutoRemove(true);
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
