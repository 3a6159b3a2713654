package dev.devs.sandbox.docker;

import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.InternalServerErrorException;
import com.github.dockerjava.api.exception.NotFoundException;
import dev.devs.sandbox.ImageNotFoundException;
import dev.devs.sandbox.ResourceLabels;
import dev.devs.sandbox.SandboxRuntimeUnavailableException;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.SandboxStartException;
import dev.devs.sandbox.SandboxTimeoutException;
import dev.devs.sandbox.StartType;
import dev.devs.sandbox.spi.SandboxDriver;
import dev.devs.sandbox.spi.StartContext;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import dev.devs.sandbox.SandboxCapability;
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
 *   <li>{@code create}: the container {@code devs-<sandboxId>}, its scratch volumes as anonymous volumes created
 *       with it, its command under the owner watchdog (a small sh script), {@code AutoRemove}. Container and volumes carry the
 *       labels {@value ResourceLabels#MANAGED}=true, {@value ResourceLabels#SANDBOX_ID}=&lt;sandbox id&gt; and
 *       {@value ResourceLabels#SESSION}=&lt;provider session&gt;, the owner's identity and the expiry, plus the spec's own
 *       labels, so that {@link #removeOrphans()} can find what a dead JVM left behind.</li>
 *   <li>{@code attach}: the owner link to the container's stdin, held for the sandbox's life; when it ends
 *       (close, or this JVM's death) the sandbox ends and the engine removes it (docs/security/sandbox-ownership.md).</li>
 *   <li>{@code start}, then {@code ready}: the watchdog must say it started the command; a command that cannot be
 *       found or has already exited fails the start with its exit status and last output lines.</li>
 *   <li>{@code readiness} (only if the spec has a probe): the probe is exec'd until it exits 0, with a short
 *       back-off (2 ms doubling to 50 ms), bounded by the startup timeout.</li>
 * </ol>
 * These phase names and durations appear on the READY event, with the attributes {@code image},
 * {@code containerId} and {@code runtime} (the OCI runtime the container ran on, as the engine reports it:
 * {@code runc} unless the spec named another). A start that fails removes everything it created, then throws a
 * {@link SandboxStartException} whose message names the bad value: {@link ImageNotFoundException},
 * {@link SandboxRuntimeUnavailableException} (no engine at the configured host) or
 * {@link SandboxTimeoutException}.
 *
 * <h2>Runtime</h2>
 * {@link SandboxSpec#runtime()} names the engine's OCI runtime ({@code HostConfig.Runtime}): empty for the
 * engine's default ({@code runc}), or one the engine has registered, such as {@code runsc} (gVisor, which
 * must be registered with {@code runtimeArgs ["--network=none"]} to run {@code network none} sandboxes). A
 * runtime the engine does not have fails the start before anything is pulled or created, listing the ones it
 * has. A start the runtime itself fails is cleaned up like any failed start: the container is removed, which
 * ends the runtime's processes for it.
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
 * (exit 137, which an OOM kill gives too) or had died before the stop; the exit status comes from the watchdog's
 * last line, since the engine removes the exited container at once. Then the owner link is closed and the
 * container is removed with its volumes, if the engine has not done so already. Phases {@code stop} and
 * {@code remove} (and {@code queued} when it waited for the admission gate). A stop that failed (engine down) may be
 * retried.
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
 * <h2>Deadlines, admission and threads</h2>
 * A start has one deadline, its spec's {@code startupTimeout}: every engine call of it (inspect image, create,
 * attach, start, inspect) runs on one of the driver's threads and the caller waits for it at most what remains of
 * that deadline, so a busy but healthy engine that answers late fails no start that still has time, and a frozen
 * engine, or a server that accepts connections and never answers, fails it by its deadline with a
 * {@link SandboxTimeoutException} naming the call. An engine that is not there fails a start at once (a refused
 * connection, or the connect timeout on TCP) with a {@link SandboxRuntimeUnavailableException}. A {@code create}
 * that the deadline overtakes is not cut but abandoned: when the engine answers it later, the driver removes the
 * container and volumes it made, on its own thread, so a start that failed leaves nothing behind.
 *
 * <p>The driver has at most {@link Builder#maxEngineOperations(int)} engine operations in flight (default
 * {@link #DEFAULT_MAX_ENGINE_OPERATIONS}): a start from its first engine call until its container runs (a readiness
 * probe waits outside the gate), a stop until its container and volumes are removed. The rest queue first come,
 * first served, stops ahead of starts; a start's time in the queue is the phase {@value #QUEUED_PHASE} and counts
 * against its deadline, and a start whose deadline passes there fails saying how long it was queued, having
 * created nothing. See docs/operations/admission.md.
 *
 * <p>Calls outside a start (stop, remove, exec create and inspect) are bounded by the response timeout
 * ({@link #DEFAULT_RESPONSE_TIMEOUT}, or {@link Builder#responseTimeout(Duration)}); {@code docker stop -t <grace>},
 * which the engine answers only after the grace period, by the grace plus the response timeout. A stop the engine
 * does not answer fails within that bound once it holds a slot of the gate (it waits only behind other stops, each
 * bounded the same way), naming
 * the call, without trying the removal the engine would not answer either; it may be retried. A call cut by its
 * bound is cancelled by interrupting the driver's own thread; the caller's thread is never interrupted. A caller
 * interrupted while waiting keeps its interrupt status and its start fails, once the engine call under way has
 * finished (the engine would carry it out anyway, and what it creates must be known to be removed). Streams (pull,
 * logs, exec output) go through another client, since they are rightly silent for as long as the work they carry;
 * the startup timeout bounds the pull and the readiness probe, the exec timeout an exec.
 *
 * <p>Thread-safe: starts, execs and stops may run concurrently. {@link #close()} releases the HTTP clients and
 * the driver's threads.
 */
public final class DockerDriver implements SandboxDriver {

    /** The driver's name on events, reports and metric tags unless {@link Builder#name(String)} sets another. */
    public static final String NAME = "docker";
    /** Where the engine is expected when neither the builder nor {@code DOCKER_HOST} says otherwise. */
    public static final String DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock";
    /** Default bound on connecting to the engine. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(3);
    /** Default bound on waiting for the engine's answer to one request/response call. */
    public static final Duration DEFAULT_RESPONSE_TIMEOUT = Duration.ofSeconds(30);
    /**
     * Default bound on the engine operations one driver has in flight (starts up to their container running, stops
     * with their removal); the rest queue. Chosen from the measurements in docs/operations/admission.md.
     */
    public static final int DEFAULT_MAX_ENGINE_OPERATIONS = 4;
    /** For {@link Builder#maxEngineOperations(int)}: no bound, every operation goes to the engine at once. */
    public static final int UNBOUNDED_ENGINE_OPERATIONS = AdmissionGate.UNBOUNDED;
    /** The phase a start spent waiting for the admission gate, on READY and FAILED events when it waited. */
    public static final String QUEUED_PHASE = "queued";
    /** Where checkpoints go unless {@link Builder#snapshotDirectory} says otherwise: {@code <java.io.tmpdir>/devs-sandbox-snapshots}. */
    public static final java.nio.file.Path DEFAULT_SNAPSHOT_DIRECTORY =
            java.nio.file.Path.of(System.getProperty("java.io.tmpdir"), "devs-sandbox-snapshots");

    private static final Logger log = LoggerFactory.getLogger(DockerDriver.class);

    private final String name;
    private final EngineAddress address;
    private final EngineCalls engine;
    private final ImagePuller puller;
    private final ReadinessProber prober;
    private final EngineRuntimes runtimes;
    private final ContainerHandle.Collaborators handles;
    private final AdmissionGate gate;
    private final ContainerCheckpoints checkpoints;
    private final ContainerSurface.Engine surfaces;

    /** A driver for the engine at {@code DOCKER_HOST}, or {@value #DEFAULT_DOCKER_HOST} when that is unset. */
    public DockerDriver() {
        this(new Builder());
    }

    private DockerDriver(Builder b) {
        this.name = b.name;
        this.address = EngineAddress.resolve(b.dockerHost, System.getenv("DOCKER_HOST"), b.connectTimeout, b.responseTimeout);
        EngineFailureTranslator failures = new EngineFailureTranslator(address);
        this.engine = new EngineCalls(address, failures);
        ExecRunner execs = new ExecRunner(engine);
        ContainerDiagnostics diagnostics = new ContainerDiagnostics(engine);
        this.puller = new ImagePuller(engine, failures);
        this.prober = new ReadinessProber(engine, execs, diagnostics, failures);
        this.runtimes = new EngineRuntimes(engine, address.dockerHost());
        this.gate = new AdmissionGate(b.maxEngineOperations);
        this.checkpoints = new ContainerCheckpoints(engine, failures, address.dockerHost(), b.snapshotDirectory);
        this.handles = new ContainerHandle.Collaborators(engine, execs, new ExecKiller(execs), diagnostics, failures,
                new ResourceRemover(engine, failures), gate, checkpoints);
        this.surfaces = new ContainerSurface.Engine(engine, execs, handles.killer(), address.dockerHost(), b.execPath);
    }

    /** A builder for a driver with a chosen name, engine address, connect timeout or response timeout. */
    public static Builder builder() {
        return new Builder();
    }

    /** The engine address this driver talks to, e.g. {@code unix:///var/run/docker.sock}. */
    public String dockerHost() {
        return address.dockerHost();
    }

    @Override
    public String name() {
        return name;
    }

    /** Every {@link SandboxCapability}: see {@link ContainerSurface}. */
    @Override
    public Set<SandboxCapability> capabilities() {
        return ContainerSurface.CAPABILITIES;
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
        DockerSpecValidator.validate(spec);
    }

    /**
     * Provisions a container as described in the class comment and returns once it is running (and its
     * readiness probe, if any, succeeded). Expects a spec that {@link #validate} accepted, as the provider
     * checks before each start.
     *
     * @throws ImageNotFoundException             the image is neither local nor in the registry it names
     * @throws SandboxRuntimeUnavailableException no engine answers at {@link #dockerHost()}
     * @throws SandboxTimeoutException            the startup timeout ran out (pull, or readiness probe)
     * @throws SandboxStartException              anything else the engine refused, or the process exited at once
     * @throws InterruptedException               the caller was interrupted; what the start created is removed
     * @throws IllegalStateException              the driver is closed
     */
    @Override
    public Handle start(SandboxSpec spec, StartContext ctx) throws InterruptedException {
        return provision(spec, ctx, null);
    }

    /**
     * Starts a new container from a checkpoint of a runsc sandbox of this driver (see {@link ContainerCheckpoints}):
     * created, attached and cleaned up as any start, then its checkpoint is copied under the engine's folder for it
     * (phase {@code restore-copy}) and it is started from it; READY once the restored watchdog has restarted its
     * lifetime clock and said so over the new owner link. Needs this JVM on the engine's host.
     */
    @Override
    public Handle fork(SandboxSpec spec, Checkpoint checkpoint, StartContext ctx) throws InterruptedException {
        Objects.requireNonNull(checkpoint, "checkpoint");
        return provision(spec, ctx, checkpoint);
    }

    // checkpoint: null for a fresh start, else the checkpoint a fork restores.
    private Handle provision(SandboxSpec spec, StartContext ctx, Checkpoint checkpoint) throws InterruptedException {
        engine.ensureOpen();
        String id = ctx.sandboxId();
        ImageReference image = ImageReference.parse(spec.image());
        ctx.attribute("image", spec.image());
        AdmissionGate.Permit permit = admit(ctx);
        Created created = new Created();
        try {
            // Before the pull and the create: an unknown runtime must cost nothing and leave nothing.
            ctx.attribute(SandboxSpec.RUNTIME_ATTRIBUTE, runtimes.require(spec.runtime(), ctx));
            List<String> imageCommand = puller.obtain(image, ctx);
            List<String> command = spec.command().isEmpty() ? imageCommand : spec.command();
            ctx.checkDeadline("create");
            String containerId = ctx.timed("create", () -> create(ContainerSpecMapper.map(spec, id, ctx.sessionId()), command, ctx, created));
            ctx.attribute("containerId", containerId);
            // Attached before the start, so that no moment of the sandbox's life is without an owner's link.
            created.link = ctx.timed("attach", () -> attach(id, containerId, ctx));
            ctx.checkDeadline("start");
            if (checkpoint != null) {
                ctx.timed("restore-copy", () -> checkpoints.prepare(id, containerId, checkpoint));
                ctx.timed("start", () -> checkpoints.start(id, containerId, checkpoint));
                // As for a fresh start: the engine's part is done once the container runs.
                permit.close();
                ctx.timed("ready", () -> ContainerPause.restartLifetime(engine, handles.failures(), id, containerId, created.link, ctx.remaining()));
                if (!spec.readinessProbe().isEmpty()) {
                    ctx.timed("readiness", () -> prober.awaitProbe(spec, ctx, containerId, created.link));
                }
                return new ContainerHandle(handles, id, containerId, created.link, spec.workDir(), !spec.scratchVolumes().isEmpty(),
                        new ContainerSurface(surfaces, id, containerId, spec.ports()));
            }
            ctx.timed("start", () -> engine.requestForStart(ctx, "start container " + containerId, c -> {
                try {
                    return c.startContainerCmd(containerId).exec();
                } catch (NotFoundException e) {
                    throw missingNetworkOr(spec, id, e); // Engine 20.10 looks the network up at start, newer ones at create.
                }
            }));
            String ranOn = ctx.timed("ready", () -> prober.requireRunning(spec, ctx, containerId, created.link));
            if (ranOn != null && !ranOn.isEmpty()) {
                ctx.attribute(SandboxSpec.RUNTIME_ATTRIBUTE, ranOn);
            }
            // The engine's part is done; a readiness probe waits on the user's program, not on the engine.
            permit.close();
            if (!spec.minimumRunningTime().isZero()) {
                ctx.timed("minimum-running", () -> prober.awaitMinimumRunningTime(spec, ctx, containerId, created.link));
            }
            if (!spec.readinessProbe().isEmpty()) {
                ctx.timed("readiness", () -> prober.awaitProbe(spec, ctx, containerId, created.link));
            }
            return new ContainerHandle(handles, id, containerId, created.link, spec.workDir(), !spec.scratchVolumes().isEmpty(),
                    new ContainerSurface(surfaces, id, containerId, spec.ports()));
        } catch (InterruptedException | RuntimeException | Error e) {
            removeAfterFailedStart(id, created, e);
            throw e;
        } finally {
            permit.close();
        }
    }

    /**
     * Waits for a slot of the admission gate, at most until the start's deadline; the wait is the phase
     * {@code queued}, recorded when there was one.
     *
     * @throws SandboxTimeoutException the deadline passed while queued; nothing was created
     */
    private AdmissionGate.Permit admit(StartContext ctx) throws InterruptedException {
        long queuedAt = System.nanoTime();
        int ahead = gate.inFlight() + gate.queued();
        AdmissionGate.Permit permit = gate.enter(AdmissionGate.Kind.START, ctx.remaining());
        long queued = System.nanoTime() - queuedAt;
        if (permit == null || permit.waited()) {
            ctx.recordPhase(QUEUED_PHASE, queued);
        }
        if (permit == null) {
            throw new SandboxTimeoutException(ctx.sandboxId(), ctx.timeout(), "sandbox " + ctx.sandboxId() + " did not become ready"
                    + " within startupTimeout " + ctx.timeout() + ": it was queued for " + queued / 1_000_000 + " ms behind " + ahead
                    + " engine operations (in flight or queued ahead of it; at most " + gate.describeBound() + " in flight on "
                    + address.dockerHost() + ") and never reached the engine, so nothing was created. Allow more with"
                    + " SandboxSpec.builder(...).startupTimeout(...) or DockerDriver.builder().maxEngineOperations(...),"
                    + " see docs/operations/admission.md");
        }
        return permit;
    }

    /**
     * Removes the containers and volumes of owners that are provably dead, and anything past its expiry (see
     * docs/security/sandbox-ownership.md); never a live owner's.
     *
     * @throws SandboxRuntimeUnavailableException no engine answers at {@link #dockerHost()}
     */
    @Override
    public void removeOrphans() {
        engine.ensureOpen();
        try {
            int removed = new OrphanSweeper(engine).sweep();
            if (removed > 0) {
                log.info("removed {} containers and volumes that dead owners left on {}", removed, address.dockerHost());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            throw handles.failures().starting("(sweep)", "list and remove what dead owners left", e);
        }
    }

    /** Closes the HTTP clients and the driver's threads. Idempotent. Live sandboxes are the provider's to stop before this. */
    @Override
    public void close() {
        engine.close();
    }

    /** The admission gate, for tests that must see it full. */
    AdmissionGate gate() {
        return gate;
    }

    @Override
    public String toString() {
        return "DockerDriver[" + address.dockerHost() + "]";
    }

    /** The container, with its anonymous scratch volumes; recorded in {@code created} before it is asked for. */
    private String create(ContainerSpecMapper.Plan plan, List<String> command, StartContext ctx, Created created) throws InterruptedException {
        created.containerName = plan.name();
        try {
            created.containerId = createContainer(plan, command, ctx);
        } catch (SandboxStartException e) {
            if (!EngineErrorClassifier.refusesTmpfsOwner(e) && !EngineErrorClassifier.cannotCapTmpfsVolume(e)) {
                throw e;
            }
            // Podman 4.3 knows no uid= option for a tmpfs and takes a tmpfs volume's size= for an XFS quota
            // (docs/operations/podman.md); nothing was created. The volume's pages still count against the memory limit.
            created.containerId = createContainer(plan.withoutOptionsPodmanRefuses(), command, ctx);
        }
        return created.containerId;
    }

    private String createContainer(ContainerSpecMapper.Plan plan, List<String> command, StartContext ctx) throws InterruptedException {
        SandboxSpec spec = plan.spec();
        String id = ctx.sandboxId();
        return engine.createForStart(ctx, "create container " + plan.name() + " from image '" + spec.image() + "'", c -> {
            try {
                return plan.applyTo(c.createContainerCmd(spec.image()), command).exec().getId();
            } catch (NotFoundException | InternalServerErrorException e) { // Podman answers a missing network with a 500
                throw missingNetworkOr(spec, id, e);
            }
        }, (lateId, lateFailure) -> removeAbandoned(id, plan.name(), lateId, lateFailure));
    }

    /**
     * Runs on the driver's thread when a create that its start gave up on (its deadline passed) has ended: the
     * engine may have made the container, and its anonymous volumes, after the start's clean-up found nothing.
     * Removed by the id the engine answered, or by the container's name when the answer was a failure (which a
     * transport error after the engine acted can be), then every volume labelled with the sandbox id.
     */
    private void removeAbandoned(String id, String name, String lateId, Throwable lateFailure) {
        try {
            handles.remover().removeAll(id, lateId != null ? lateId : name);
            if (lateId != null) {
                log.info("sandbox {}: the engine created container {} after the start had given up on it; removed it", id, lateId);
            }
        } catch (RuntimeException e) {
            if (lateFailure != null) {
                e.addSuppressed(lateFailure);
            }
            log.warn("sandbox {}: removing what a create abandoned at the start's deadline made failed; the orphan sweep"
                    + " removes it once this owner is gone (docs/security/sandbox-ownership.md)", id, e);
        }
    }

    private OwnerLink attach(String id, String containerId, StartContext ctx) throws InterruptedException {
        try {
            return OwnerLink.attach(engine, containerId, ctx.remaining());
        } catch (RuntimeException e) {
            String answer = EngineErrorClassifier.refusedStream(e);
            if (answer == null) {
                throw handles.failures().starting(id, "attach to container " + containerId, e);
            }
            throw whyAttachWasRefused(id, containerId, ctx, answer, e);
        }
    }

    /**
     * Podman prepares a created container when it is attached (its user, its mounts) and answers 409 if it cannot; the
     * HTTP client keeps only the status line, not the engine's reason. The start the driver would ask for next is refused
     * for the same reason, with it in the error body: asked for here, it makes the failure say what the engine refused,
     * as dockerd's refusal at start does. A container that starts after all is removed with the failed start.
     */
    private SandboxStartException whyAttachWasRefused(String id, String containerId, StartContext ctx, String answer,
            RuntimeException attachFailure) throws InterruptedException {
        try {
            engine.requestForStart(ctx, "start container " + containerId, c -> c.startContainerCmd(containerId).exec());
        } catch (SandboxStartException refusal) {
            refusal.addSuppressed(attachFailure);
            return refusal;
        }
        return new SandboxStartException(id, "the Docker engine at " + address.dockerHost() + " refused to attach to container "
                + containerId + " for sandbox " + id + ": it answered " + answer + " instead of opening the stream, without"
                + " saying why (its log may)", attachFailure);
    }

    private static Duration minimum(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private RuntimeException missingNetworkOr(SandboxSpec spec, String id, DockerException e) {
        String said = EngineErrorClassifier.engineMessage(e);
        String m = said.toLowerCase(Locale.ROOT);
        String network = spec.network().toLowerCase(Locale.ROOT);
        // dockerd: "network <name> not found"; Podman: "unable to find network with name or ID <name>: network not found".
        if (m.contains("network " + network) || (m.contains("network") && m.contains(" " + network + ":"))) {
            return new SandboxStartException(id, "network '" + spec.network() + "' does not exist on the Docker engine at "
                    + address.dockerHost() + " (the engine said: " + said + "): use none, bridge, host, or create it with"
                    + " 'docker network create " + spec.network() + "'", e);
        }
        return e;
    }

    private void removeAfterFailedStart(String id, Created created, Throwable cause) {
        if (created.link != null) {
            created.link.close();
        }
        if (created.containerName == null) {
            return; // the create was never asked for, and volumes are only created with the container: nothing to remove
        }
        try {
            String container = created.containerId != null ? created.containerId : created.containerName;
            handles.remover().removeAll(id, container);
        } catch (RuntimeException e) {
            cause.addSuppressed(e);
            log.warn("sandbox {}: removing what its failed start created failed", id, e);
        }
    }

    /** What a start has created so far, for removal if it fails. Confined to the starting thread. */
    private static final class Created {
        String containerName;
        String containerId;
        OwnerLink link;
    }

    /**
     * The path a sandbox's commands ({@code exec}, streaming exec, background processes) take. Terminals always take
     * the engine's exec.
     */
    public enum ExecPath {
        /** Every command through the engine's exec API: one exec (create, start, inspect) per command. */
        ENGINE,
        /**
         * Through the sandbox's command channel (docs/design.md, "Command channel") once it is open: a small program
         * the driver puts into the sandbox, started once per sandbox through one engine exec that stays open, which
         * starts each command with one message. It opens in the background after the sandbox's first command, or while
         * a pooled sandbox sits idle; until then, or when it cannot start (no agent in this build, no {@code /bin/sh}
         * or {@code head} in the image, an engine of another machine type), commands take the engine's exec.
         */
        CHANNEL_IF_AVAILABLE
    }

    /** Builder for {@link DockerDriver}. Not thread-safe. */
    public static final class Builder {
        private static final java.util.regex.Pattern NAME_FORM = java.util.regex.Pattern.compile("[a-z][a-z0-9-]{0,31}");
        private String name = NAME;
        private String dockerHost;
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private Duration responseTimeout = DEFAULT_RESPONSE_TIMEOUT;
        private int maxEngineOperations = DEFAULT_MAX_ENGINE_OPERATIONS;
        private java.nio.file.Path snapshotDirectory = DEFAULT_SNAPSHOT_DIRECTORY;
        private ExecPath execPath = ExecPath.CHANNEL_IF_AVAILABLE;

        private Builder() {
        }

        /**
         * Which path a sandbox's commands take: {@link ExecPath#CHANNEL_IF_AVAILABLE} (the default) or
         * {@link ExecPath#ENGINE}. Each sandbox says which it takes now, and why, in its attributes {@code exec.path}
         * and {@code exec.path.reason}.
         */
        public Builder execPath(ExecPath execPath) {
            this.execPath = Objects.requireNonNull(execPath, "execPath");
            return this;
        }

        /**
         * At most this many engine operations of this driver in flight at once (a start counts from its first
         * engine call until its container runs, a stop until its container and volumes are removed); the rest
         * queue first come, first served, stops ahead of starts. A start's time in the queue counts against its
         * startupTimeout and shows as the phase {@value DockerDriver#QUEUED_PHASE}. Default
         * {@link DockerDriver#DEFAULT_MAX_ENGINE_OPERATIONS}; {@link DockerDriver#UNBOUNDED_ENGINE_OPERATIONS} turns the
         * gate off. How to pick it for an engine: docs/operations/admission.md.
         *
         * @throws IllegalArgumentException if below 1
         */
        public Builder maxEngineOperations(int maxEngineOperations) {
            if (maxEngineOperations < 1) {
                throw new IllegalArgumentException("maxEngineOperations " + maxEngineOperations + " must be at least 1"
                        + " (or DockerDriver.UNBOUNDED_ENGINE_OPERATIONS for no bound)");
            }
            this.maxEngineOperations = maxEngineOperations;
            return this;
        }

        /**
         * Where checkpoints ({@code Sandbox.checkpoint()}) are written, one folder per snapshot, on the engine's host (the
         * engine writes there). Default {@link DockerDriver#DEFAULT_SNAPSHOT_DIRECTORY}. Made (mode 700) at the first checkpoint.
         *
         * @throws IllegalArgumentException if not absolute
         */
        public Builder snapshotDirectory(java.nio.file.Path snapshotDirectory) {
            Objects.requireNonNull(snapshotDirectory, "snapshotDirectory");
            if (!snapshotDirectory.isAbsolute()) {
                throw new IllegalArgumentException("snapshotDirectory '" + snapshotDirectory + "' is not absolute: the engine"
                        + " resolves it, so give a full path such as /var/lib/devs-snapshots");
            }
            this.snapshotDirectory = snapshotDirectory;
            return this;
        }

        /**
         * The driver's name on events, reports and metric tags, default {@value DockerDriver#NAME}; e.g. {@code podman} for
         * Podman's Docker-compatible API, so its series and meters stay apart from a dockerd's. One name per engine.
         *
         * @throws IllegalArgumentException naming the value, unless it is 1 to 32 of {@code a-z 0-9 -} starting with a letter
         */
        public Builder name(String name) {
            if (!NAME_FORM.matcher(Objects.requireNonNull(name, "name")).matches()) {
                throw new IllegalArgumentException("name '" + name + "' is not a driver name: use 1 to 32 lower-case letters,"
                        + " digits or '-', starting with a letter (e.g. docker, podman)");
            }
            this.name = name;
            return this;
        }

        /**
         * The engine address: {@code unix:///path/to/docker.sock} or {@code tcp://host:port}. Default:
         * {@code DOCKER_HOST}, or {@value DockerDriver#DEFAULT_DOCKER_HOST} when that is unset.
         *
         * @throws IllegalArgumentException naming the value and the valid forms
         */
        public Builder dockerHost(String dockerHost) {
            Objects.requireNonNull(dockerHost, "dockerHost");
            EngineAddress.requireValid(dockerHost, "dockerHost");
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
         * Bound on waiting for the engine's answer to one request/response call outside a start (stop, remove,
         * volume removal, exec create and inspect), over TCP and Unix sockets alike; a call cut by it fails with
         * a message saying the server accepted the connection but did not answer. {@code docker stop} is allowed
         * the stop grace period on top of it. A start's calls are bounded by its own startupTimeout instead.
         * Streams (pull, logs, exec output) are not bounded by it; the startup and exec timeouts bound them. Default
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
