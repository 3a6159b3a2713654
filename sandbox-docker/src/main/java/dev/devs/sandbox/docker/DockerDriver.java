package dev.devs.sandbox.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.command.PullImageCmd;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Mount;
import com.github.dockerjava.api.model.MountType;
import com.github.dockerjava.api.model.PullResponseItem;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import com.github.dockerjava.transport.DockerHttpClient;
import dev.devs.sandbox.ExecResult;
import dev.devs.sandbox.ImageNotFoundException;
import dev.devs.sandbox.SandboxDriver;
import dev.devs.sandbox.SandboxException;
import dev.devs.sandbox.SandboxRuntimeUnavailableException;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.SandboxStartException;
import dev.devs.sandbox.SandboxTimeoutException;
import dev.devs.sandbox.StartContext;
import dev.devs.sandbox.StartType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link SandboxDriver} that runs each sandbox as a container of a Docker engine, through docker-java's
 * HTTP client (Apache HttpClient 5 transport).
 *
 * <h2>What a start does</h2>
 * <ol>
 *   <li>{@code inspect-image}: is the image local? Yes: a {@link StartType#WARM} start. No:
 *       {@code pull} it (exactly the named tag) from the registry it names, a {@link StartType#COLD} start.</li>
 *   <li>{@code create}: one volume per {@link SandboxSpec#scratchVolumes() scratch path}, then the container
 *       {@code devs-<sandboxId>}. Both carry the labels {@value #LABEL_MANAGED}=true,
 *       {@value #LABEL_SANDBOX_ID}=&lt;sandbox id&gt; and {@value #LABEL_SESSION}=&lt;provider session&gt;, plus the
 *       spec's own labels, so that a reaper can find what a dead JVM left behind.</li>
 *   <li>{@code start}, then {@code ready}: one inspect must report {@code State.Status == running}; if the
 *       process has already exited the start fails with its exit code, OOM flag and last log lines.</li>
 *   <li>{@code readiness} (only if the spec has a probe): the probe is exec'd until it exits 0, with a short
 *       back-off (2 ms doubling to 50 ms), bounded by the startup timeout.</li>
 * </ol>
 * These phase names and durations appear on the READY event, with the attributes {@code image} and
 * {@code containerId}. A start that fails removes everything it created, then throws a
 * {@link SandboxStartException} whose message names the bad value: {@link ImageNotFoundException},
 * {@link SandboxRuntimeUnavailableException} (no engine at the configured host) or
 * {@link SandboxTimeoutException}.
 *
 * <h2>Secure defaults</h2>
 * The container gets the spec's network mode ({@code none} by default), every capability dropped,
 * {@code no-new-privileges}, a read-only root file system, tmpfs mounts (mode 1777, so that the
 * unprivileged default user can write) at the work directory and {@code /tmp}, the pids, memory (swap
 * disabled) and CPU limits, the spec's user ({@code 65534:65534} by default), and the engine's init as
 * PID 1 so that the main process receives SIGTERM on stop and can exit within the grace period.
 * Scratch volumes are local volumes backed by tmpfs (mode 1777, capped at the memory limit): writable by
 * the unprivileged user, and nothing of them survives the sandbox.
 *
 * <h2>Stop</h2>
 * {@code docker stop} with the grace period (rounded up to whole seconds, as the engine counts them); the
 * outcome is {@code STOPPED} when the process exited by itself, {@code KILLED} when it had to be killed
 * (exit 137 or OOM) or had died before the stop. Then the container is removed with its anonymous volumes,
 * then the scratch volumes. Phases {@code stop} and {@code remove}.
 *
 * <h2>Engine address</h2>
 * {@link DockerDriver#DockerDriver()} uses {@code DOCKER_HOST} or {@value #DEFAULT_DOCKER_HOST};
 * {@link #builder()} can name another host, the connect timeout and the response timeout. The TLS settings
 * ({@code DOCKER_TLS_VERIFY}, {@code DOCKER_CERT_PATH}) and registry credentials of the Docker CLI's
 * configuration are honoured. Constructing a driver does not contact the engine; an engine that cannot be
 * reached makes each start fail within the connect timeout with a {@link SandboxRuntimeUnavailableException},
 * and so does a server at that address that is not a Docker engine (an HTTP error without the engine's JSON
 * error body), rather than being mistaken for "image not found".
 *
 * <h2>Timeouts</h2>
 * The driver holds two HTTP clients on the same host. Request/response calls (inspect image, create, start,
 * inspect, remove, volume create and remove, exec create and inspect) go through one whose every answer is
 * awaited at most the response timeout ({@link #DEFAULT_RESPONSE_TIMEOUT}, or
 * {@link Builder#responseTimeout(Duration)}), on TCP and Unix sockets alike; so a server that accepts
 * connections but never answers (a wrong {@code DOCKER_HOST}, a hung engine) fails a start within it with
 * a {@link SandboxRuntimeUnavailableException} saying so, and a start cut there has created nothing. Streams
 * (pull, logs, exec output) go through the other, without that timeout, since they are rightly silent for as
 * long as the work they carry; the startup timeout bounds the pull and the readiness probe, the exec timeout
 * an exec, and every wait of the driver's own is bounded. {@code docker stop -t <grace>} is answered only
 * after the grace period, so it is allowed the grace plus the response timeout (one extra client per
 * distinct grace, made on first stop). The warm start's engine calls are the same four as without the timeout.
 *
 * <p>Thread-safe: starts, execs and stops may run concurrently. {@link #close()} releases the HTTP clients.
 */
// "try": phase timers are try-with-resources whose variable is never read, by design of PhaseRecorder.
@SuppressWarnings("try")
public final class DockerDriver implements SandboxDriver {

    /** The driver's name on events, reports and metric tags. */
    public static final String NAME = "docker";
    /** Where the engine is expected when neither the builder nor {@code DOCKER_HOST} says otherwise. */
    public static final String DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock";
    /** Default bound on connecting to the engine. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(3);
    /** Default bound on waiting for the engine's answer to one request/response call. */
    public static final Duration DEFAULT_RESPONSE_TIMEOUT = Duration.ofSeconds(30);
    /** Label set to {@code true} on every container and volume this driver creates. */
    public static final String LABEL_MANAGED = "dev.devs.sandbox.managed";
    /** Label holding the sandbox id on every container and volume this driver creates. */
    public static final String LABEL_SANDBOX_ID = "dev.devs.sandbox.id";
    /** Label holding the provider's session id on every container and volume this driver creates. */
    public static final String LABEL_SESSION = "dev.devs.sandbox.session";
    /** Prefix of container and volume names: {@code devs-<sandboxId>}, {@code devs-<sandboxId>-scratch-<n>}. */
    public static final String NAME_PREFIX = "devs-";

    static final int LOG_TAIL_LINES = 20;
    private static final Duration LOG_FETCH_TIMEOUT = Duration.ofSeconds(2);
    private static final long PROBE_FIRST_PAUSE_NANOS = 2_000_000;
    private static final long PROBE_MAX_PAUSE_NANOS = 50_000_000;
    private static final int KILL_TREE_ROUNDS = 10;
    private static final Duration KILL_CONFIRM_TIMEOUT = Duration.ofSeconds(2);

    private static final Logger log = LoggerFactory.getLogger(DockerDriver.class);

    /** Request/response calls: every answer is awaited at most {@link #responseTimeout}. */
    private final DockerClient docker;
    /** Streams (pull, logs, exec attach): silent for as long as the work they carry, so no response timeout. */
    private final DockerClient streams;
    /** Per stop grace in whole seconds: a client whose response timeout is that grace plus {@link #responseTimeout}. */
    private final Map<Long, DockerClient> stopClients = new ConcurrentHashMap<>();
    private final DockerClientConfig config;
    private final ExecRunner execs;
    private final String dockerHost;
    private final String hostSource;
    private final Duration connectTimeout;
    private final Duration responseTimeout;
    private final AtomicBoolean closed = new AtomicBoolean();

    /** A driver for the engine at {@code DOCKER_HOST}, or {@value #DEFAULT_DOCKER_HOST} when that is unset. */
    public DockerDriver() {
        this(new Builder());
    }

    private DockerDriver(Builder b) {
        String env = System.getenv("DOCKER_HOST");
        if (b.dockerHost != null) {
            this.dockerHost = b.dockerHost;
            this.hostSource = "set with DockerDriver.builder().dockerHost(...)";
        } else if (env != null && !env.isBlank()) {
            this.dockerHost = env.trim();
            this.hostSource = "from the DOCKER_HOST environment variable";
        } else {
            this.dockerHost = DEFAULT_DOCKER_HOST;
            this.hostSource = "the default; DOCKER_HOST is not set";
        }
        requireValidHost(dockerHost, b.dockerHost != null ? "dockerHost" : env != null && !env.isBlank() ? "DOCKER_HOST" : "dockerHost");
        this.connectTimeout = b.connectTimeout;
        this.responseTimeout = b.responseTimeout;
        this.config = DefaultDockerClientConfig.createDefaultConfigBuilder()
                .withDockerHost(dockerHost)
                .build();
        this.docker = client(responseTimeout);
        this.streams = client(null);
        this.execs = new ExecRunner(docker, streams);
    }

    /** A client on this driver's host; with a response timeout unless {@code responseTimeout} is null. */
    private DockerClient client(Duration responseTimeout) {
        ApacheDockerHttpClient.Builder http = new ApacheDockerHttpClient.Builder()
                .dockerHost(config.getDockerHost())
                .sslConfig(config.getSSLConfig())
                .connectionTimeout(connectTimeout);
        if (responseTimeout == null) {
            return DockerClientImpl.getInstance(config, http.build());
        }
        // The HTTP client's timeout works on TCP only; a Unix socket or named pipe needs the interrupting timer.
        DockerHttpClient timed = http.responseTimeout(responseTimeout).build();
        if (!"tcp".equals(config.getDockerHost().getScheme())) {
            timed = new AnswerDeadline(timed, responseTimeout);
        }
        return DockerClientImpl.getInstance(config, timed);
    }

    /** A builder for a driver with a chosen engine address, connect timeout or response timeout. */
    public static Builder builder() {
        return new Builder();
    }

    /** The engine address this driver talks to, e.g. {@code unix:///var/run/docker.sock}. */
    public String dockerHost() {
        return dockerHost;
    }

    @Override
    public String name() {
        return NAME;
    }

    /**
     * Rejects, before any engine call, a spec the engine cannot honour: no image, an image reference the
     * engine would refuse (e.g. upper-case repository), an invalid network or user, a CPU quota below
     * 0.01, a work directory or scratch volume at {@code /} or inside {@code /proc}, {@code /sys} or
     * {@code /dev}.
     *
     * @throws IllegalArgumentException naming the field, the value and what would be valid
     */
    @Override
    public void validate(SandboxSpec spec) {
        Objects.requireNonNull(spec, "spec");
        DockerSpecRules.validate(spec);
    }

    /**
     * Provisions a container as described in the class comment and returns once it is running (and its
     * readiness probe, if any, succeeded).
     *
     * @throws ImageNotFoundException             the image is neither local nor in the registry it names
     * @throws SandboxRuntimeUnavailableException no engine answers at {@link #dockerHost()}
     * @throws SandboxTimeoutException            the startup timeout ran out (pull, or readiness probe)
     * @throws SandboxStartException              anything else the engine refused, or the process exited at once
     */
    @Override
    public Handle start(SandboxSpec spec, StartContext ctx) throws InterruptedException {
        ensureOpen();
        validate(spec);
        String id = ctx.sandboxId();
        ImageReference image = ImageReference.parse(spec.image());
        ctx.attribute("image", spec.image());
        Created created = new Created();
        try {
            obtainImage(image, ctx);
            ctx.checkDeadline("create");
            Map<String, String> labels = labels(spec, ctx);
            String containerId;
            try (var p = ctx.phase("create")) {
                createVolumes(spec, id, labels, created);
                containerId = createContainer(spec, id, labels, created);
            }
            ctx.attribute("containerId", containerId);
            ctx.checkDeadline("start");
            try (var p = ctx.phase("start")) {
                starting(id, "start container " + containerId, () -> {
                    try {
                        docker.startContainerCmd(containerId).exec();
                    } catch (NotFoundException e) {
                        // Engine 20.10 looks the network up at start, newer ones at create.
                        throw missingNetworkOr(spec, id, e);
                    }
                    return null;
                });
            }
            try (var p = ctx.phase("ready")) {
                requireRunning(spec, id, containerId);
            }
            if (!spec.readinessProbe().isEmpty()) {
                try (var p = ctx.phase("readiness")) {
                    awaitReadiness(spec, ctx, containerId);
                }
            }
            return new ContainerHandle(this, id, containerId, List.copyOf(created.volumes));
        } catch (InterruptedException | RuntimeException | Error e) {
            removeAfterFailedStart(id, created, e);
            throw e;
        }
    }

    /** Closes the HTTP clients. Idempotent. Live sandboxes are the provider's to stop before this. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            List<DockerClient> all = new ArrayList<>(List.of(docker, streams));
            all.addAll(stopClients.values());
            for (DockerClient c : all) {
                try {
                    c.close();
                } catch (IOException e) {
                    log.debug("closing a Docker client failed", e);
                }
            }
        }
    }

    @Override
    public String toString() {
        return "DockerDriver[" + dockerHost + "]";
    }

    // ---------------------------------------------------------------- image

    private void obtainImage(ImageReference image, StartContext ctx) throws InterruptedException {
        boolean present;
        try (var p = ctx.phase("inspect-image")) {
            present = starting(ctx.sandboxId(), "inspect image '" + image.reference() + "'", () -> {
                try {
                    docker.inspectImageCmd(image.reference()).exec();
                    return true;
                } catch (NotFoundException e) {
                    if (EngineErrors.isForeignAnswer(e)) {
                        throw e; // not the engine saying "no such image": see translateStarting
                    }
                    return false;
                }
            });
        }
        if (present) {
            ctx.startType(StartType.WARM);
            return;
        }
        ctx.startType(StartType.COLD);
        ctx.checkDeadline("pull");
        try (var p = ctx.phase("pull")) {
            pull(image, ctx);
        }
    }

    private void pull(ImageReference image, StartContext ctx) throws InterruptedException {
        String id = ctx.sandboxId();
        AtomicReference<String> streamError = new AtomicReference<>();
        StreamCallback<PullResponseItem> stream = new StreamCallback<>(item -> {
            if (item.isErrorIndicated()) {
                String m = item.getErrorDetail() != null && item.getErrorDetail().getMessage() != null
                        ? item.getErrorDetail().getMessage() : item.toString();
                streamError.compareAndSet(null, m);
            }
        });
        PullImageCmd cmd = streams.pullImageCmd(image.pullName());
        if (image.digest() == null) {
            // Without a tag the engine would pull every tag of the repository.
            cmd.withTag(image.tag());
        }
        try {
            cmd.exec(stream);
        } catch (RuntimeException e) {
            stream.close();
            throw translateStarting(id, "pull image '" + image.reference() + "'", e);
        }
        boolean done;
        try {
            done = stream.await(ctx.remaining());
        } catch (InterruptedException e) {
            stream.close(); // else the pull's connection and reader thread live until the pull ends
            throw e;
        }
        if (!done) {
            stream.close();
            throw new SandboxTimeoutException(id, ctx.timeout(), "sandbox " + id + ": pulling image '" + image.reference()
                    + "' from registry " + image.registry() + " did not finish within startupTimeout " + ctx.timeout()
                    + "; give a larger image a longer startupTimeout, or pull it before starting sandboxes");
        }
        Throwable error = stream.error();
        if (error == null && streamError.get() == null) {
            return;
        }
        if (error != null && EngineErrors.isUnreachable(error)) {
            throw unavailable(id, "pull image '" + image.reference() + "'", error);
        }
        String message = error instanceof DockerException de ? EngineErrors.engineMessage(de)
                : error != null ? EngineErrors.rootMessage(error) : streamError.get();
        if (error instanceof NotFoundException || looksLikeMissingImage(message)) {
            throw new ImageNotFoundException(id, image.reference(), "image '" + image.reference()
                    + "' was found neither locally nor in registry " + image.registry() + " (the engine said: " + message
                    + "); check the name and tag, push the image to " + image.registry() + ", or build it locally", error);
        }
        if (looksLikeUnreachableRegistry(message)) {
            throw new SandboxStartException(id, "image '" + image.reference() + "' is not present locally and registry "
                    + image.registry() + " did not answer (the engine said: " + message + "); start or reach that"
                    + " registry, or make the image local (docker build / docker load) before starting sandboxes", error);
        }
        throw new SandboxStartException(id, "pulling image '" + image.reference() + "' from registry " + image.registry()
                + " failed: " + message, error);
    }

    private static boolean looksLikeMissingImage(String message) {
        String m = message.toLowerCase(Locale.ROOT);
        return m.contains("manifest unknown") || m.contains("not found") || m.contains("repository does not exist");
    }

    private static boolean looksLikeUnreachableRegistry(String message) {
        String m = message.toLowerCase(Locale.ROOT);
        return m.contains("dial tcp") || m.contains("no such host") || m.contains("connection refused")
                || m.contains("i/o timeout") || m.contains("timeout exceeded") || m.contains("tls handshake")
                || m.contains("server gave http response to https client") || m.contains("no route to host");
    }

    // ---------------------------------------------------------------- create

    private static Map<String, String> labels(SandboxSpec spec, StartContext ctx) {
        Map<String, String> labels = new LinkedHashMap<>(spec.labels());
        labels.put(LABEL_MANAGED, "true");
        labels.put(LABEL_SANDBOX_ID, ctx.sandboxId());
        labels.put(LABEL_SESSION, ctx.sessionId());
        return labels;
    }

    private void createVolumes(SandboxSpec spec, String id, Map<String, String> labels, Created created) {
        List<String> paths = spec.scratchVolumes();
        for (int i = 0; i < paths.size(); i++) {
            String name = NAME_PREFIX + id + "-scratch-" + i;
            // Recorded before the call: if the answer is lost the volume may exist, and cleanup goes by name.
            created.volumes.add(name);
            Map<String, String> opts = new LinkedHashMap<>();
            opts.put("type", "tmpfs");
            opts.put("device", "tmpfs");
            opts.put("o", "mode=1777,nosuid,nodev" + (spec.memoryBytes() > 0 ? ",size=" + spec.memoryBytes() : ""));
            starting(id, "create volume " + name + " for " + paths.get(i), () -> docker.createVolumeCmd()
                    .withName(name).withDriver("local").withDriverOpts(opts).withLabels(labels).exec());
        }
    }

    private String createContainer(SandboxSpec spec, String id, Map<String, String> labels, Created created) {
        String tmpfsOptions = "rw,exec,nosuid,nodev,mode=1777" + (spec.memoryBytes() > 0 ? ",size=" + spec.memoryBytes() : "");
        Map<String, String> tmpfs = new LinkedHashMap<>();
        tmpfs.put(spec.workDir(), tmpfsOptions);
        if (!spec.workDir().equals("/tmp") && !spec.scratchVolumes().contains("/tmp")) {
            tmpfs.put("/tmp", tmpfsOptions);
        }
        List<Mount> mounts = new ArrayList<>();
        for (int i = 0; i < spec.scratchVolumes().size(); i++) {
            mounts.add(new Mount().withType(MountType.VOLUME).withSource(created.volumes.get(i)).withTarget(spec.scratchVolumes().get(i)));
        }
        HostConfig host = HostConfig.newHostConfig()
                .withNetworkMode(spec.network())
                .withCapDrop(Capability.ALL)
                .withSecurityOpts(List.of("no-new-privileges"))
                .withReadonlyRootfs(spec.readOnlyRootFs())
                .withTmpFs(tmpfs)
                .withMounts(mounts)
                .withInit(true);
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
        String name = NAME_PREFIX + id;
        CreateContainerCmd cmd = docker.createContainerCmd(spec.image())
                .withName(name)
                .withLabels(labels)
                .withWorkingDir(spec.workDir())
                .withHostConfig(host);
        if (!spec.command().isEmpty()) {
            cmd.withCmd(spec.command());
        }
        if (!spec.user().isEmpty()) {
            cmd.withUser(spec.user());
        }
        if (!spec.env().isEmpty()) {
            List<String> env = new ArrayList<>();
            spec.env().forEach((k, v) -> env.add(k + "=" + v));
            cmd.withEnv(env);
        }
        created.containerName = name;
        String containerId = starting(id, "create container " + name + " from image '" + spec.image() + "'", () -> {
            try {
                return cmd.exec().getId();
            } catch (NotFoundException e) {
                throw missingNetworkOr(spec, id, e);
            }
        });
        created.containerId = containerId;
        return containerId;
    }

    private RuntimeException missingNetworkOr(SandboxSpec spec, String id, NotFoundException e) {
        String m = EngineErrors.engineMessage(e);
        if (m.toLowerCase(Locale.ROOT).contains("network " + spec.network().toLowerCase(Locale.ROOT))) {
            return new SandboxStartException(id, "network '" + spec.network() + "' does not exist on the Docker engine at "
                    + dockerHost + " (the engine said: " + m + "): use none, bridge, host, or create it with"
                    + " 'docker network create " + spec.network() + "'", e);
        }
        return e;
    }

    // ---------------------------------------------------------------- ready

    private void requireRunning(SandboxSpec spec, String id, String containerId) {
        InspectContainerResponse.ContainerState state = starting(id, "inspect container " + containerId,
                () -> docker.inspectContainerCmd(containerId).exec().getState());
        if (!Boolean.TRUE.equals(state.getRunning())) {
            throw new SandboxStartException(id, "sandbox " + id + " (container " + shortId(containerId) + ", image '" + spec.image()
                    + "') is not running right after start: " + describe(state) + ". " + logTail(containerId));
        }
    }

    private void awaitReadiness(SandboxSpec spec, StartContext ctx, String containerId) throws InterruptedException {
        String id = ctx.sandboxId();
        List<String> probe = spec.readinessProbe();
        long pause = PROBE_FIRST_PAUSE_NANOS;
        int attempts = 0;
        ExecResult last = null;
        while (true) {
            Duration remaining = ctx.remaining();
            if (remaining.isNegative() || remaining.isZero()) {
                throw probeTimedOut(spec, ctx, containerId, attempts, last, null);
            }
            attempts++;
            try {
                last = execs.run(containerId, probe, remaining);
            } catch (ExecRunner.ExecTimedOut t) {
                throw probeTimedOut(spec, ctx, containerId, attempts, last, "attempt " + attempts
                        + " was still running when the timeout ran out (its output so far: stdout '" + clip(t.partial.stdout())
                        + "', stderr '" + clip(t.partial.stderr()) + "')");
            } catch (ConflictException notRunning) {
                // The engine refuses exec in a container that is not running: the main process has exited.
                InspectContainerResponse.ContainerState state = starting(id, "inspect container " + containerId,
                        () -> docker.inspectContainerCmd(containerId).exec().getState());
                throw new SandboxStartException(id, "sandbox " + id + " (container " + shortId(containerId) + ", image '"
                        + spec.image() + "') stopped running while its readiness probe " + probe + " was being tried ("
                        + attempts + " attempts): " + describe(state) + ". " + logTail(containerId), notRunning);
            } catch (RuntimeException e) {
                throw translateStarting(id, "run readiness probe " + probe + " in container " + containerId, e);
            }
            if (last.exitCode() == 0) {
                return;
            }
            long left = ctx.remaining().toNanos();
            if (left <= 0) {
                throw probeTimedOut(spec, ctx, containerId, attempts, last, null);
            }
            long nanos = Math.min(pause, left);
            Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
            pause = Math.min(pause * 2, PROBE_MAX_PAUSE_NANOS);
        }
    }

    private SandboxTimeoutException probeTimedOut(SandboxSpec spec, StartContext ctx, String containerId, int attempts,
                                                  ExecResult last, String note) {
        String id = ctx.sandboxId();
        StringBuilder m = new StringBuilder("sandbox ").append(id).append(" (container ").append(shortId(containerId))
                .append(", image '").append(spec.image()).append("') did not become ready within startupTimeout ")
                .append(ctx.timeout()).append(": readiness probe ").append(spec.readinessProbe()).append(" ran ")
                .append(attempts).append(attempts == 1 ? " time" : " times");
        if (last != null) {
            m.append("; last exit code ").append(last.exitCode())
                    .append(", stdout '").append(clip(last.stdout())).append("', stderr '").append(clip(last.stderr())).append('\'');
        } else {
            m.append("; no attempt finished");
        }
        if (note != null) {
            m.append(" (").append(note).append(')');
        }
        m.append(". Container: ").append(describeQuietly(containerId)).append(". ").append(logTail(containerId));
        return new SandboxTimeoutException(id, ctx.timeout(), m.toString());
    }

    // ---------------------------------------------------------------- used by the handle

    ExecResult exec(String sandboxId, String containerId, List<String> command, Duration timeout) throws InterruptedException {
        ensureOpen();
        try {
            return execs.run(containerId, command, timeout);
        } catch (ExecRunner.ExecTimedOut t) {
            boolean killed = killExec(containerId, t.execId);
            throw new SandboxTimeoutException(sandboxId, timeout, "command " + command + " in sandbox " + sandboxId
                    + " did not finish within " + timeout + (killed ? "; it was killed"
                    : "; it could not be killed from here and runs until the sandbox stops")
                    + " (output so far: stdout '" + clip(t.partial.stdout()) + "', stderr '" + clip(t.partial.stderr()) + "')");
        } catch (ConflictException notRunning) {
            throw new SandboxException("sandbox " + sandboxId + " is not running (" + describeQuietly(containerId)
                    + "), so " + command + " cannot run in it: " + EngineErrors.engineMessage(notRunning), notRunning);
        } catch (RuntimeException e) {
            throw translate(sandboxId, "run " + command + " in container " + containerId, e);
        }
    }

    private boolean killExec(String containerId, String execId) {
        try {
            long hostPid = execs.runningPid(execId);
            if (hostPid == 0) {
                return true; // it ended between the timeout and now
            }
            // Freeze the tree before killing it: a child forked between listing the tree and killing it
            // would be re-parented to the container's init and live on. Stopped processes cannot fork, so
            // listing again until nothing new appears gives the whole tree.
            Set<Long> frozen = new LinkedHashSet<>();
            for (int round = 0; round < KILL_TREE_ROUNDS; round++) {
                List<Long> fresh = new ArrayList<>(ContainerProcesses.namespacePidsOfTree(hostPid, containerId));
                fresh.removeAll(frozen);
                if (fresh.isEmpty()) {
                    break;
                }
                signal(containerId, execId, "STOP", fresh);
                frozen.addAll(fresh);
            }
            if (frozen.isEmpty()) {
                log.debug("exec {} (host pid {}) of container {} is not visible from this host; it runs until the sandbox stops",
                        execId, hostPid, containerId);
                return false;
            }
            signal(containerId, execId, "KILL", frozen);
            return awaitExecEnd(execId);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (RuntimeException e) {
            log.debug("could not kill timed-out exec {} in container {}", execId, containerId, e);
            return false;
        }
    }

    private void signal(String containerId, String execId, String signal, Collection<Long> pids) throws InterruptedException {
        List<String> kill = new ArrayList<>(List.of("sh", "-c", "kill -" + signal + " \"$@\"", "kill"));
        pids.forEach(p -> kill.add(Long.toString(p)));
        ExecResult r = execs.run(containerId, kill, Duration.ofSeconds(5));
        if (r.exitCode() != 0) {
            log.debug("kill -{} for exec {} in container {} exited {}: {}", signal, execId, containerId, r.exitCode(), r.stderr());
        }
    }

    /** The engine records a killed exec's end a moment after the kill: look again briefly before saying it lives. */
    private boolean awaitExecEnd(String execId) throws InterruptedException {
        long deadline = System.nanoTime() + KILL_CONFIRM_TIMEOUT.toNanos();
        long pauseNanos = 200_000;
        while (execs.runningPid(execId) != 0) {
            if (System.nanoTime() + pauseNanos > deadline) {
                return false;
            }
            Thread.sleep(pauseNanos / 1_000_000, (int) (pauseNanos % 1_000_000));
            pauseNanos = Math.min(pauseNanos * 2, 20_000_000);
        }
        return true;
    }

    DockerClient client() {
        return docker;
    }

    /**
     * The client for {@code docker stop -t <graceSeconds>}: the engine answers only after the grace period
     * (and the kill), so its response timeout is the grace plus {@link #responseTimeout}. One per distinct
     * grace, made on first use; specs rarely differ in it.
     */
    DockerClient stopClient(long graceSeconds) {
        ensureOpen();
        return stopClients.computeIfAbsent(graceSeconds, s -> client(responseTimeout.plusSeconds(s)));
    }

    void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException("DockerDriver for " + dockerHost + " is closed");
        }
    }

    // ---------------------------------------------------------------- failures and diagnostics

    /** Runs an engine call of a start, turning transport failures and engine refusals into start exceptions. */
    private <T> T starting(String id, String what, Supplier<T> call) {
        try {
            return call.get();
        } catch (SandboxException e) {
            throw e;
        } catch (RuntimeException e) {
            throw translateStarting(id, what, e);
        }
    }

    private SandboxStartException translateStarting(String id, String what, RuntimeException e) {
        if (e instanceof SandboxStartException s) {
            return s;
        }
        if (EngineErrors.isSilent(e)) {
            return new SandboxRuntimeUnavailableException(id, silentMessage(what + " for sandbox " + id), e);
        }
        if (EngineErrors.isUnreachable(e)) {
            return unavailable(id, what, e);
        }
        if (e instanceof DockerException de && EngineErrors.isForeignAnswer(de)) {
            return new SandboxRuntimeUnavailableException(id, notAnEngineMessage(what + " for sandbox " + id, de), e);
        }
        if (e instanceof DockerException de) {
            return new SandboxStartException(id, "the Docker engine at " + dockerHost + " refused to " + what + " for sandbox "
                    + id + ": " + EngineErrors.engineMessage(de), e);
        }
        return new SandboxStartException(id, "could not " + what + " for sandbox " + id + ": " + e, e);
    }

    /** For calls after the start (exec, stop): the same explanations, as a plain {@link SandboxException}. */
    SandboxException translate(String id, String what, RuntimeException e) {
        if (e instanceof SandboxException s) {
            return s;
        }
        if (EngineErrors.isSilent(e)) {
            return new SandboxException(silentMessage(what + " for sandbox " + id), e);
        }
        if (EngineErrors.isUnreachable(e)) {
            return new SandboxException(unreachableMessage(what + " for sandbox " + id, e), e);
        }
        if (e instanceof DockerException de && EngineErrors.isForeignAnswer(de)) {
            return new SandboxException(notAnEngineMessage(what + " for sandbox " + id, de), e);
        }
        if (e instanceof DockerException de) {
            return new SandboxException("the Docker engine at " + dockerHost + " refused to " + what + " for sandbox " + id + ": "
                    + EngineErrors.engineMessage(de), e);
        }
        return new SandboxException("could not " + what + " for sandbox " + id + ": " + e, e);
    }

    private SandboxRuntimeUnavailableException unavailable(String id, String what, Throwable e) {
        return new SandboxRuntimeUnavailableException(id, unreachableMessage(what + " for sandbox " + id, e), e);
    }

    private String unreachableMessage(String what, Throwable e) {
        return "no Docker engine answered at " + dockerHost + " (" + hostSource + ") when trying to " + what + ": "
                + EngineErrors.rootMessage(e) + (dockerHost.startsWith("tcp:") ? " (connect timeout " + connectTimeout + ")" : "")
                + ". Start the engine there, or point the driver at a running one with the DOCKER_HOST environment variable"
                + " or DockerDriver.builder().dockerHost(...), e.g. \"" + DEFAULT_DOCKER_HOST + "\" or \"tcp://127.0.0.1:2375\"";
    }

    private String silentMessage(String what) {
        return "the server at " + dockerHost + " (" + hostSource + ") accepted the connection but did not answer within the"
                + " response timeout " + responseTimeout + " when asked to " + what + ". A Docker engine answers such calls in milliseconds: check that DOCKER_HOST or"
                + " DockerDriver.builder().dockerHost(...) names a Docker engine (e.g. \"" + DEFAULT_DOCKER_HOST
                + "\" or \"tcp://127.0.0.1:2375\") and that it is not hung, or allow a slow engine more with"
                + " DockerDriver.builder().responseTimeout(...)";
    }

    private String notAnEngineMessage(String what, DockerException e) {
        return "the server at " + dockerHost + " (" + hostSource + ") is not a Docker engine: asked to " + what
                + ", it answered HTTP " + e.getHttpStatus() + " without the engine's error body (" + e.getMessage().strip()
                + "). Point the driver at a Docker engine with the DOCKER_HOST environment variable or"
                + " DockerDriver.builder().dockerHost(...), e.g. \"" + DEFAULT_DOCKER_HOST + "\" or \"tcp://127.0.0.1:2375\"";
    }

    /** "status exited, exit code 3, OOMKilled false" and the engine's error, if any. */
    static String describe(InspectContainerResponse.ContainerState state) {
        StringBuilder s = new StringBuilder("status ").append(state.getStatus())
                .append(", exit code ").append(state.getExitCodeLong())
                .append(", OOMKilled ").append(Boolean.TRUE.equals(state.getOOMKilled()));
        if (state.getError() != null && !state.getError().isBlank()) {
            s.append(", error '").append(state.getError()).append('\'');
        }
        return s.toString();
    }

    String describeQuietly(String containerId) {
        try {
            return describe(docker.inspectContainerCmd(containerId).exec().getState());
        } catch (RuntimeException e) {
            return "state unavailable (" + EngineErrors.rootMessage(e) + ")";
        }
    }

    /** "Last 20 log lines:\n  ..." as Testcontainers shows them; never throws. */
    String logTail(String containerId) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        StreamCallback<Frame> stream = new StreamCallback<>(frame -> {
            synchronized (bytes) {
                bytes.writeBytes(frame.getPayload());
            }
        });
        try {
            streams.logContainerCmd(containerId).withStdOut(true).withStdErr(true).withTail(LOG_TAIL_LINES).exec(stream);
            boolean done = stream.await(LOG_FETCH_TIMEOUT);
            stream.close();
            if (!done) {
                return "(its log could not be read within " + LOG_FETCH_TIMEOUT + ")";
            }
            if (stream.error() != null) {
                return "(its log could not be read: " + EngineErrors.rootMessage(stream.error()) + ")";
            }
        } catch (InterruptedException e) {
            stream.close(); // else the log connection and its reader thread outlive this call
            Thread.currentThread().interrupt();
            return "(reading its log was interrupted)";
        } catch (RuntimeException e) {
            return "(its log could not be read: " + EngineErrors.rootMessage(e) + ")";
        }
        String text;
        synchronized (bytes) {
            text = bytes.toString(StandardCharsets.UTF_8);
        }
        List<String> lines = new ArrayList<>(Arrays.asList(text.split("\\r?\\n")));
        lines.removeIf(String::isEmpty);
        if (lines.isEmpty()) {
            return "Its log is empty.";
        }
        List<String> tail = lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size());
        return "Last " + (tail.size() == 1 ? "log line" : tail.size() + " log lines") + ":\n    " + String.join("\n    ", tail);
    }

    private static String clip(String s) {
        String t = s.strip();
        return t.length() <= 2000 ? t : "..." + t.substring(t.length() - 2000);
    }

    static String shortId(String containerId) {
        return containerId.length() > 12 ? containerId.substring(0, 12) : containerId;
    }

    // ---------------------------------------------------------------- removal

    private void removeAfterFailedStart(String id, Created created, Throwable cause) {
        try {
            String container = created.containerId != null ? created.containerId : created.containerName;
            removeAll(id, container, created.volumes);
        } catch (RuntimeException e) {
            cause.addSuppressed(e);
            log.warn("sandbox {}: removing what its failed start created failed", id, e);
        }
    }

    /**
     * Removes the container (forced, with its anonymous volumes) and the driver's volumes; what is already
     * gone counts as removed. Tries everything even if one removal fails, then throws the first failure.
     */
    void removeAll(String id, String container, List<String> volumes) {
        RuntimeException failure = null;
        if (container != null) {
            try {
                docker.removeContainerCmd(container).withForce(true).withRemoveVolumes(true).exec();
            } catch (NotFoundException gone) {
                // Nothing to remove.
            } catch (ConflictException e) {
                // "removal already in progress" means someone else is removing it: fine. Anything else is real.
                if (!EngineErrors.engineMessage(e).contains("already in progress")) {
                    failure = translate(id, "remove container " + container, e);
                }
            } catch (RuntimeException e) {
                failure = translate(id, "remove container " + container, e);
            }
        }
        for (String volume : volumes) {
            try {
                docker.removeVolumeCmd(volume).exec();
            } catch (NotFoundException gone) {
                // Nothing to remove.
            } catch (RuntimeException e) {
                RuntimeException f = translate(id, "remove volume " + volume, e);
                if (failure == null) {
                    failure = f;
                } else {
                    failure.addSuppressed(f);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    private static void requireValidHost(String host, String field) {
        URI uri;
        try {
            uri = URI.create(host);
        } catch (IllegalArgumentException e) {
            uri = null;
        }
        String scheme = uri == null ? null : uri.getScheme();
        boolean ok = scheme != null && switch (scheme) {
            case "unix", "npipe" -> uri.getPath() != null && !uri.getPath().isEmpty();
            case "tcp" -> uri.getHost() != null && uri.getPort() > 0;
            default -> false;
        };
        if (!ok) {
            throw new IllegalArgumentException(field + " '" + host + "' is not a Docker engine address: use unix:///path/to/docker.sock,"
                    + " tcp://host:port (e.g. tcp://127.0.0.1:2375) or npipe:////./pipe/docker_engine");
        }
    }

    /** What a start has created so far, for removal if it fails. Confined to the starting thread. */
    private static final class Created {
        final List<String> volumes = new ArrayList<>();
        String containerName;
        String containerId;
    }

    /** Builder for {@link DockerDriver}. Not thread-safe. */
    public static final class Builder {
        private String dockerHost;
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private Duration responseTimeout = DEFAULT_RESPONSE_TIMEOUT;

        private Builder() {
        }

        /**
         * The engine address: {@code unix:///path/to/docker.sock} or {@code tcp://host:port}. Default:
         * {@code DOCKER_HOST}, or {@value DockerDriver#DEFAULT_DOCKER_HOST} when that is unset.
         *
         * @throws IllegalArgumentException naming the value and the valid forms
         */
        public Builder dockerHost(String dockerHost) {
            Objects.requireNonNull(dockerHost, "dockerHost");
            requireValidHost(dockerHost, "dockerHost");
            this.dockerHost = dockerHost;
            return this;
        }

        /**
         * Bound on opening a connection to the engine (TCP; a Unix socket connects or fails at once).
         * Default {@link DockerDriver#DEFAULT_CONNECT_TIMEOUT}.
         *
         * @throws IllegalArgumentException if not positive
         */
        public Builder connectTimeout(Duration connectTimeout) {
            Objects.requireNonNull(connectTimeout, "connectTimeout");
            if (connectTimeout.isZero() || connectTimeout.isNegative()) {
                throw new IllegalArgumentException("connectTimeout " + connectTimeout + " must be positive");
            }
            this.connectTimeout = connectTimeout;
            return this;
        }

        /**
         * Bound on waiting for the engine's answer to one request/response call (inspect, create, start,
         * remove, volume create/remove, exec create and inspect), over TCP and Unix sockets alike; a call
         * cut by it fails with a message saying the server accepted the connection but did not answer.
         * {@code docker stop} is allowed the stop grace period on top of it. Streams (pull, logs, exec
         * output) are not bounded by it; the startup and exec timeouts bound them. Default
         * {@link DockerDriver#DEFAULT_RESPONSE_TIMEOUT}.
         *
         * @throws IllegalArgumentException if not positive
         */
        public Builder responseTimeout(Duration responseTimeout) {
            Objects.requireNonNull(responseTimeout, "responseTimeout");
            if (responseTimeout.isZero() || responseTimeout.isNegative()) {
                throw new IllegalArgumentException("responseTimeout " + responseTimeout + " must be positive");
            }
            this.responseTimeout = responseTimeout;
            return this;
        }

        /** A driver with these settings; contacts no engine. */
        public DockerDriver build() {
            return new DockerDriver(this);
        }
    }
}
