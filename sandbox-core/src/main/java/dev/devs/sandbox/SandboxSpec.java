package dev.devs.sandbox;

import dev.devs.sandbox.spi.SandboxDriver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What to provision: an immutable, validated description of one sandbox.
 *
 * <p>The defaults are the secure ones from the design: no network, every capability dropped,
 * {@code no-new-privileges}, a read-only root file system with a writable tmpfs work directory, an
 * unprivileged user, and pids and memory limits. A spec loosens them only by saying so
 * ({@code network("bridge")}, {@code readOnlyRootFs(false)}, {@code user("0")}...).
 *
 * <p>Every value is checked here, when the spec is built, so that a bad value fails before any driver
 * is called; the {@link IllegalArgumentException} names the field, the value and what would be valid.
 * A driver may reject a spec it cannot honour in {@link SandboxDriver#validate}, still before any
 * event or resource.
 *
 * <p>Its values, each read by the accessor of the same name:
 * <ul>
 *   <li>{@code image}: image reference for image-based drivers (Docker); null where the driver needs none
 *   <li>{@code command}: command to run as the sandbox's main process; empty for the image's default
 *   <li>{@code env}: environment variables for the main process and for {@link Sandbox#exec}
 *   <li>{@code cpus}: CPU quota in cores; 0 for no limit
 *   <li>{@code memoryBytes}: memory limit in bytes; 0 for no limit, otherwise at least {@link #MIN_MEMORY_BYTES}
 *   <li>{@code pidsLimit}: maximum number of processes; 0 for no limit
 *   <li>{@code network}: network mode: {@code none} (default), {@code bridge}, {@code host} or a user network name
 *   <li>{@code user}: user (uid[:gid] or name) for the main process; empty for the image's default
 *   <li>{@code readOnlyRootFs}: whether the root file system is mounted read-only (default true)
 *   <li>{@code workDir}: absolute path of the writable working directory (a tmpfs)
 *   <li>{@code scratchVolumes}: absolute paths at which the driver mounts a fresh volume that lives and dies
 *       with the sandbox
 *   <li>{@code readinessProbe}: command run inside the sandbox after start until it exits 0; empty for none
 *   <li>{@code startupTimeout}: bound on the whole start, image pull and readiness probe included
 *   <li>{@code stopGracePeriod}: how long {@code stop()} waits after asking the main process to exit before it kills it
 *   <li>{@code labels}: extra labels for the resources the driver creates (keys under
 *       {@link ResourceLabels#PREFIX} are reserved)
 *   <li>{@code runtime}: the isolation runtime to run the sandbox on: empty (default) for the driver's default
 *       ({@code runc} on a stock Docker engine), or a name the driver knows, e.g. {@code runsc}
 *       (gVisor) registered with the Docker engine; a driver that cannot honour it rejects the
 *       spec in {@link SandboxDriver#validate} or before creating anything
 *   <li>{@code maxLifetime}: the longest the sandbox may live, counted from its start: then it is ended and removed,
 *       whether or not any JVM is alive to stop it (default {@link #DEFAULT_MAX_LIFETIME}, at most
 *       {@link #MAX_MAX_LIFETIME}); a driver that cannot enforce it rejects the spec
 *   <li>{@code minimumRunningTime}: how long the sandbox's program must have been running before the start may
 *       report READY (opt-in, default zero: READY once the program is running, see docs/design.md, "What READY
 *       promises"); a program that ends within it fails the start naming its exit; counted within the startup
 *       timeout, so it must be shorter than {@code startupTimeout}; a driver that cannot honour it rejects the spec
 *   <li>{@code ports}: TCP ports the sandbox serves, each reachable from the host through {@link Sandbox#endpoint(int)};
 *       declaring one opens nothing for the sandbox itself (with network {@code none} it still reaches nothing)
 * </ul>
 *
 * <p>Built only through {@link #builder()} or {@link #builder(String)}, so that a field added later breaks no caller.
 */
public final class SandboxSpec {

    /** The smallest memory limit the Docker engine accepts (6 MiB). */
    public static final long MIN_MEMORY_BYTES = 6L * 1024 * 1024;
    /** Default memory limit: 512 MiB. */
    public static final long DEFAULT_MEMORY_BYTES = 512L * 1024 * 1024;
    /** Default process limit. */
    public static final long DEFAULT_PIDS_LIMIT = 256;
    /** Default unprivileged user: {@code nobody} by number, which works even in images without /etc/passwd. */
    public static final String DEFAULT_USER = "65534:65534";
    /** Default startup timeout, pull included. */
    public static final Duration DEFAULT_STARTUP_TIMEOUT = Duration.ofSeconds(60);
    /** Default grace period for stop; with the engine's kill and remove, a stop stays well under 5 s. */
    public static final Duration DEFAULT_STOP_GRACE_PERIOD = Duration.ofSeconds(2);
    /**
     * Default maximum lifetime: one hour. Long enough for an interactive session or a test suite, short enough
     * that a sandbox nobody stops (its owner hung, or was killed between the engine's create and start) does not
     * run untrusted code for days.
     */
    public static final Duration DEFAULT_MAX_LIFETIME = Duration.ofHours(1);
    /** The largest maximum lifetime a spec may ask for: seven days. */
    public static final Duration MAX_MAX_LIFETIME = Duration.ofDays(7);
    /** The name of the {@code runtime} attribute on READY, FAILED and stop events: the runtime the sandbox ran on. */
    public static final String RUNTIME_ATTRIBUTE = "runtime";
    // The Docker engine's runtime names are its daemon.json keys; this is what they can sensibly be.

    private final @Nullable String image;
    private final List<String> command;
    private final Map<String, String> env;
    private final double cpus;
    private final long memoryBytes;
    private final long pidsLimit;
    private final String network;
    private final String user;
    private final boolean readOnlyRootFs;
    private final String workDir;
    private final List<String> scratchVolumes;
    private final List<String> readinessProbe;
    private final Duration startupTimeout;
    private final Duration stopGracePeriod;
    private final Map<String, String> labels;
    private final String runtime;
    private final Duration maxLifetime;
    private final Duration minimumRunningTime;
    private final List<Integer> ports;

    private SandboxSpec(Builder b) {
        // Each value checked and copied by SpecValidation, which names the field, the value and what is valid.
        this.image = SpecValidation.image(b.image);
        this.command = SpecValidation.copyOf("command", b.command);
        this.env = SpecValidation.env(b.env);
        this.cpus = SpecValidation.cpus(b.cpus);
        this.memoryBytes = SpecValidation.memoryBytes(b.memoryBytes);
        this.pidsLimit = SpecValidation.pidsLimit(b.pidsLimit);
        this.network = SpecValidation.network(b.network);
        this.user = SpecValidation.user(b.user);
        this.readOnlyRootFs = b.readOnlyRootFs;
        this.workDir = SpecValidation.absolutePath("workDir", b.workDir);
        this.scratchVolumes = SpecValidation.scratchVolumes(b.scratchVolumes, workDir);
        this.readinessProbe = SpecValidation.copyOf("readinessProbe", b.readinessProbe);
        this.startupTimeout = SpecValidation.positive("startupTimeout", b.startupTimeout);
        this.stopGracePeriod = SpecValidation.stopGracePeriod(b.stopGracePeriod);
        this.labels = SpecValidation.labels(b.labels);
        this.runtime = SpecValidation.runtime(b.runtime);
        this.maxLifetime = SpecValidation.maxLifetime(b.maxLifetime, DEFAULT_MAX_LIFETIME, MAX_MAX_LIFETIME);
        this.minimumRunningTime = SpecValidation.minimumRunningTime(b.minimumRunningTime, startupTimeout);
        this.ports = SpecValidation.ports(b.ports);
    }

    /** A builder with the secure defaults, for a driver that needs no image (WebContainer). */
    public static Builder builder() {
        return new Builder(null);
    }

    /** A builder with the secure defaults for the given image. */
    public static Builder builder(@Nullable String image) {
        return new Builder(image);
    }

    /** A builder that starts from this spec's values. */
    public Builder toBuilder() {
        Builder b = new Builder(image);
        b.command = new ArrayList<>(command);
        b.env = new LinkedHashMap<>(env);
        b.cpus = cpus;
        b.memoryBytes = memoryBytes;
        b.pidsLimit = pidsLimit;
        b.network = network;
        b.user = user;
        b.readOnlyRootFs = readOnlyRootFs;
        b.workDir = workDir;
        b.scratchVolumes = new ArrayList<>(scratchVolumes);
        b.readinessProbe = new ArrayList<>(readinessProbe);
        b.startupTimeout = startupTimeout;
        b.stopGracePeriod = stopGracePeriod;
        b.labels = new LinkedHashMap<>(labels);
        b.runtime = runtime;
        b.maxLifetime = maxLifetime;
        b.minimumRunningTime = minimumRunningTime;
        b.ports = new ArrayList<>(ports);
        return b;
    }

    /**
     * Image reference for image-based drivers (Docker); null where the driver needs none.
     */
    public @Nullable String image() {
        return image;
    }

    /**
     * Command to run as the sandbox's main process; empty for the image's default.
     */
    public List<String> command() {
        return command;
    }

    /**
     * Environment variables for the main process and for {@link Sandbox#exec}.
     */
    public Map<String, String> env() {
        return env;
    }

    /**
     * CPU quota in cores; 0 for no limit.
     */
    public double cpus() {
        return cpus;
    }

    /**
     * Memory limit in bytes; 0 for no limit, otherwise at least {@link #MIN_MEMORY_BYTES}.
     */
    public long memoryBytes() {
        return memoryBytes;
    }

    /**
     * Maximum number of processes; 0 for no limit.
     */
    public long pidsLimit() {
        return pidsLimit;
    }

    /**
     * Network mode: {@code none} (default), {@code bridge}, {@code host} or a user network name.
     */
    public String network() {
        return network;
    }

    /**
     * User (uid[:gid] or name) for the main process; empty for the image's default.
     */
    public String user() {
        return user;
    }

    /**
     * Whether the root file system is mounted read-only (default true).
     */
    public boolean readOnlyRootFs() {
        return readOnlyRootFs;
    }

    /**
     * Absolute path of the writable working directory (a tmpfs).
     */
    public String workDir() {
        return workDir;
    }

    /**
     * Absolute paths at which the driver mounts a fresh volume that lives and dies with the sandbox.
     */
    public List<String> scratchVolumes() {
        return scratchVolumes;
    }

    /**
     * Command run inside the sandbox after start until it exits 0; empty for none.
     */
    public List<String> readinessProbe() {
        return readinessProbe;
    }

    /**
     * Bound on the whole start, image pull and readiness probe included.
     */
    public Duration startupTimeout() {
        return startupTimeout;
    }

    /**
     * How long {@code stop()} waits after asking the main process to exit before it kills it.
     */
    public Duration stopGracePeriod() {
        return stopGracePeriod;
    }

    /**
     * Extra labels for the resources the driver creates (keys under {@link ResourceLabels#PREFIX} are reserved).
     */
    public Map<String, String> labels() {
        return labels;
    }

    /**
     * The isolation runtime to run the sandbox on: empty (default) for the driver's default ({@code runc} on a stock
     * Docker engine), or a name the driver knows, e.g. {@code runsc} (gVisor) registered with the Docker engine; a
     * driver that cannot honour it rejects the spec in {@link SandboxDriver#validate} or before creating anything.
     */
    public String runtime() {
        return runtime;
    }

    /**
     * The longest the sandbox may live, counted from its start: then it is ended and removed, whether or not any JVM
     * is alive to stop it (default {@link #DEFAULT_MAX_LIFETIME}, at most {@link #MAX_MAX_LIFETIME}); a driver that
     * cannot enforce it rejects the spec.
     */
    public Duration maxLifetime() {
        return maxLifetime;
    }

    /**
     * How long the sandbox's program must have been running before the start may report READY (opt-in, default zero:
     * READY once the program is running, see docs/design.md, "What READY promises"); a program that ends within it
     * fails the start naming its exit. Counted within the startup timeout, so it is shorter than
     * {@link #startupTimeout()}; a driver that cannot honour it rejects the spec.
     */
    public Duration minimumRunningTime() {
        return minimumRunningTime;
    }

    /**
     * TCP ports the sandbox serves, each reachable from the host through {@link Sandbox#endpoint(int)}; empty by
     * default. Declaring one opens nothing for the sandbox itself: with network {@code none} it still reaches nothing.
     */
    public List<Integer> ports() {
        return ports;
    }

    /** The names of the values, in the order of {@link #values()}: the form of {@link #toString()}. */
    private static final List<String> NAMES = List.of("image", "command", "env", "cpus", "memoryBytes", "pidsLimit",
            "network", "user", "readOnlyRootFs", "workDir", "scratchVolumes", "readinessProbe", "startupTimeout",
            "stopGracePeriod", "labels", "runtime", "maxLifetime", "minimumRunningTime", "ports");

    /** Every value in one place, so that equality, hash and text cannot miss a field added later. */
    private Object[] values() {
        return new Object[] {image, command, env, cpus, memoryBytes, pidsLimit, network, user, readOnlyRootFs, workDir,
                scratchVolumes, readinessProbe, startupTimeout, stopGracePeriod, labels, runtime, maxLifetime,
                minimumRunningTime, ports};
    }

    /** Equal when every value is equal (as a record's components would be). */
    @Override
    public boolean equals(Object other) {
        return this == other || other instanceof SandboxSpec o && Arrays.equals(values(), o.values());
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(values());
    }

    /** Every value, in the record-like form {@code SandboxSpec[image=..., command=[...], ...]}. */
    @Override
    public String toString() {
        Object[] values = values();
        StringBuilder sb = new StringBuilder("SandboxSpec[");
        for (int i = 0; i < values.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(NAMES.get(i)).append('=').append(values[i]);
        }
        return sb.append(']').toString();
    }

    /** Mutable builder for {@link SandboxSpec}; {@link #build()} validates. Not thread-safe. */
    public static final class Builder {
        private @Nullable String image;
        private List<String> command = new ArrayList<>();
        private Map<String, String> env = new LinkedHashMap<>();
        private double cpus = 1.0;
        private long memoryBytes = DEFAULT_MEMORY_BYTES;
        private long pidsLimit = DEFAULT_PIDS_LIMIT;
        private String network = "none";
        private String user = DEFAULT_USER;
        private boolean readOnlyRootFs = true;
        private String workDir = "/workspace";
        private List<String> scratchVolumes = new ArrayList<>();
        private List<String> readinessProbe = new ArrayList<>();
        private Duration startupTimeout = DEFAULT_STARTUP_TIMEOUT;
        private Duration stopGracePeriod = DEFAULT_STOP_GRACE_PERIOD;
        private Map<String, String> labels = new LinkedHashMap<>();
        private String runtime = "";
        private Duration maxLifetime = DEFAULT_MAX_LIFETIME;
        private Duration minimumRunningTime = Duration.ZERO;
        private List<Integer> ports = new ArrayList<>();

        private Builder(@Nullable String image) {
            this.image = image;
        }

        public Builder image(@Nullable String image) { this.image = image; return this; }
        public Builder command(String... command) { this.command = new ArrayList<>(List.of(command)); return this; }
        public Builder command(List<String> command) { this.command = new ArrayList<>(command); return this; }
        public Builder env(String key, String value) { this.env.put(key, value); return this; }
        public Builder env(Map<String, String> env) { this.env = new LinkedHashMap<>(env); return this; }
        public Builder cpus(double cpus) { this.cpus = cpus; return this; }
        public Builder memoryBytes(long memoryBytes) { this.memoryBytes = memoryBytes; return this; }
        public Builder pidsLimit(long pidsLimit) { this.pidsLimit = pidsLimit; return this; }
        public Builder network(String network) { this.network = network; return this; }
        public Builder user(String user) { this.user = user; return this; }
        public Builder readOnlyRootFs(boolean readOnlyRootFs) { this.readOnlyRootFs = readOnlyRootFs; return this; }
        public Builder workDir(String workDir) { this.workDir = workDir; return this; }
        public Builder scratchVolume(String path) { this.scratchVolumes.add(path); return this; }
        public Builder readinessProbe(String... command) { this.readinessProbe = new ArrayList<>(List.of(command)); return this; }
        public Builder startupTimeout(Duration timeout) { this.startupTimeout = timeout; return this; }
        public Builder stopGracePeriod(Duration grace) { this.stopGracePeriod = grace; return this; }
        public Builder label(String key, String value) { this.labels.put(key, value); return this; }
        /** The isolation runtime, e.g. {@code runsc}; empty (the default) for the driver's default. */
        public Builder runtime(String runtime) { this.runtime = runtime; return this; }
        /** See {@link SandboxSpec#maxLifetime()}; PT1S to {@link SandboxSpec#MAX_MAX_LIFETIME}. */
        public Builder maxLifetime(Duration maxLifetime) { this.maxLifetime = maxLifetime; return this; }
        /**
         * See {@link SandboxSpec#minimumRunningTime()}: like Testcontainers' {@code MinimumDurationRunningStartupCheckStrategy},
         * for a program that may end at once (an image's default shell); zero (the default) for none.
         */
        public Builder minimumRunningTime(Duration minimumRunningTime) { this.minimumRunningTime = minimumRunningTime; return this; }
        /** Declares a TCP port the sandbox serves; see {@link SandboxSpec#ports()} and {@link Sandbox#endpoint(int)}. */
        public Builder port(int port) { this.ports.add(port); return this; }

        /** @throws IllegalArgumentException naming the first invalid field and value */
        public SandboxSpec build() {
            return new SandboxSpec(this);
        }
    }
}
