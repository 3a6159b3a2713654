package dev.devs.sandbox;

import dev.devs.sandbox.spi.SandboxDriver;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A ready sandbox handed out by {@link SandboxProvider#start}. Thread-safe.
 *
 * <p>Closing it (or {@link #stop()}) stops it through its provider, which emits STOPPED or KILLED once;
 * later calls return at once. Use try-with-resources so that nothing outlives its use:
 * <pre>{@code
 * try (Sandbox sb = provider.start(SandboxSpec.builder("busybox:local").command("sleep", "3600").build())) {
 *     ExecResult r = sb.exec("echo", "hi");
 * }
 * }</pre>
 */
public final class Sandbox implements AutoCloseable {

    /** Default bound for {@link #exec(String...)}. */
    public static final Duration DEFAULT_EXEC_TIMEOUT = Duration.ofSeconds(30);
    /** Bound for {@link #pause()} and {@link #resume()}: how long the sandbox may take to confirm. */
    public static final Duration PAUSE_TIMEOUT = Duration.ofSeconds(30);
    /** Bound for {@link #checkpoint()}. */
    public static final Duration CHECKPOINT_TIMEOUT = Duration.ofMinutes(2);

    private final SandboxProvider provider;
    private final String id;
    private final String driver;
    private final StartType startType;
    private final SandboxSpec spec;
    private final Instant provisioningStartedAt;
    private final Instant provisioningReadyAt;
    private final Duration provisioningDuration;
    private final Map<String, Duration> phases;
    private final Map<String, String> attributes;
    final SandboxDriver.Handle handle;
    /** A pooled claim's extra environment for every exec (empty otherwise). */
    private final Map<String, String> execEnv;
    /** A pooled claim's working directory for every exec, or null for the sandbox's default. */
    private final String execWorkingDir;
    /** Shared by a pooled sandbox and its claim, which are one sandbox: stopping either stops it once. */
    final AtomicBoolean stopClaimed;
    final CompletableFuture<StopOutcome> stopped;

    Sandbox(SandboxProvider provider, String id, String driver, StartType startType, SandboxSpec spec,
            Instant provisioningStartedAt, Instant provisioningReadyAt, Duration provisioningDuration,
            Map<String, Duration> phases, Map<String, String> attributes, SandboxDriver.Handle handle) {
        this(provider, id, driver, startType, spec, provisioningStartedAt, provisioningReadyAt, provisioningDuration, phases,
                attributes, handle, Map.of(), null, new AtomicBoolean(), new CompletableFuture<>());
    }

    private Sandbox(SandboxProvider provider, String id, String driver, StartType startType, SandboxSpec spec,
                    Instant provisioningStartedAt, Instant provisioningReadyAt, Duration provisioningDuration,
                    Map<String, Duration> phases, Map<String, String> attributes, SandboxDriver.Handle handle,
                    Map<String, String> execEnv, String execWorkingDir, AtomicBoolean stopClaimed,
                    CompletableFuture<StopOutcome> stopped) {
        this.provider = provider;
        this.id = id;
        this.driver = driver;
        this.startType = startType;
        this.spec = spec;
        this.provisioningStartedAt = provisioningStartedAt;
        this.provisioningReadyAt = provisioningReadyAt;
        this.provisioningDuration = provisioningDuration;
        this.phases = phases;
        this.attributes = attributes;
        this.handle = handle;
        this.execEnv = execEnv;
        this.execWorkingDir = execWorkingDir;
        this.stopClaimed = stopClaimed;
        this.stopped = stopped;
    }

    /** This sandbox as handed out by a pool to one claim: the same handle, the claim's times and customisation. */
    Sandbox claimed(SandboxSpec claimSpec, Instant acquiredAt, Instant handedOutAt, Duration duration,
                    Map<String, Duration> claimPhases, Map<String, String> claimAttributes, PoolClaim claim) {
        return new Sandbox(provider, id, driver, StartType.POOLED, claimSpec, acquiredAt, handedOutAt, duration, claimPhases,
                claimAttributes, handle, claim.env(), claim.workingDir().orElse(null), stopClaimed, stopped);
    }

    /** The id on every event of this sandbox and on every resource the driver created for it. */
    public String id() { return id; }

    /** The driver's name. */
    public String driver() { return driver; }

    /** Whether this start was cold or warm. */
    public StartType startType() { return startType; }

    /** The spec it was started from. */
    public SandboxSpec spec() { return spec; }

    /** When provisioning began (provider clock). */
    public Instant provisioningStartedAt() { return provisioningStartedAt; }

    /** When it became ready (provider clock). */
    public Instant provisioningReadyAt() { return provisioningReadyAt; }

    /** Provisioning time on the monotonic clock, as on the READY event. */
    public Duration provisioningDuration() { return provisioningDuration; }

    /** Per-phase provisioning durations in order, as on the READY event. */
    public Map<String, Duration> phases() { return phases; }

    /** Driver facts (container id, endpoint...), as on the READY event. */
    public Map<String, String> attributes() { return attributes; }

    /** Runs a command with {@link #DEFAULT_EXEC_TIMEOUT}. */
    public ExecResult exec(String... command) {
        return exec(List.of(command), DEFAULT_EXEC_TIMEOUT);
    }

    /**
     * Runs a command inside the sandbox and waits for it.
     *
     * @throws IllegalStateException    if the sandbox was stopped
     * @throws IllegalArgumentException if the command is empty or the timeout not positive
     * @throws SandboxExecTimeoutException if it does not finish within {@code timeout}
     * @throws SandboxExecException     if it could not run or finish (the sandbox ended, the driver failed, interrupted)
     */
    public ExecResult exec(List<String> command, Duration timeout) {
        Objects.requireNonNull(command, "command");
        Objects.requireNonNull(timeout, "timeout");
        if (command.isEmpty()) {
            throw new IllegalArgumentException("command is empty: give the program to run and its arguments");
        }
        if (timeout.isZero() || timeout.isNegative()) {
            throw new IllegalArgumentException("timeout " + timeout + " for " + command + " is not positive: give the"
                    + " longest the command may run, e.g. Duration.ofSeconds(30)");
        }
        if (stopClaimed.get()) {
            throw new IllegalStateException("sandbox " + id + " is stopped: exec is no longer possible");
        }
        requireNotPaused("running " + command);
        try {
            return handle.exec(List.copyOf(command), execEnv, execWorkingDir, timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxExecException(id, "exec in sandbox " + id + " was interrupted", e);
        }
    }

    /**
     * Writes a file into the sandbox, creating its parent directories. A relative path is resolved against the
     * working directory (a pooled claim's, or the sandbox's default).
     *
     * @throws IllegalArgumentException      if the path climbs with {@code ..} or ends with '/'
     * @throws IllegalStateException         if the sandbox was stopped
     * @throws UnsupportedOperationException if the driver cannot write files
     * @throws SandboxExecTimeoutException   if the write does not finish within {@link #DEFAULT_EXEC_TIMEOUT}
     * @throws SandboxExecException          if the write failed
     */
    public void writeFile(String path, byte[] content) {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(content, "content");
        PoolClaim.requireCleanPath(path);
        if (stopClaimed.get()) {
            throw new IllegalStateException("sandbox " + id + " is stopped: writing " + path + " is no longer possible");
        }
        requireNotPaused("writing " + path);
        try {
            handle.writeFiles(Map.of(path, content.clone()), execWorkingDir, DEFAULT_EXEC_TIMEOUT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxExecException(id, "writing " + path + " in sandbox " + id + " was interrupted", e);
        }
    }

    /** Whether the sandbox is still running: false once stopped, or when the driver sees it died. */
    public boolean isAlive() {
        return !stopClaimed.get() && handle.isAlive();
    }

    /**
     * Pauses the sandbox: every process in it is stopped where it is and uses no CPU, while its memory and files
     * are kept. A paused sandbox still counts against its {@link SandboxSpec#maxLifetime()}, still ends with its
     * owner (this JVM), and can be {@link #stop() stopped} as it is. {@link #exec} and {@link #writeFile} refuse
     * until {@link #resume()}. Pausing a paused sandbox does nothing. Returns once every process is stopped, within
     * {@link #PAUSE_TIMEOUT}. No lifecycle event is emitted.
     *
     * <p>Programs see it as job control: their processes receive SIGSTOP and, on resume, SIGCONT (see
     * docs/guide/snapshots.md for why this, and not the engine's freezer).
     *
     * @throws UnsupportedOperationException naming the driver, if its driver cannot pause sandboxes (nothing is done)
     * @throws IllegalStateException         if the sandbox was stopped
     * @throws SandboxTimeoutException       if the sandbox did not confirm in time (it may be partly paused:
     *                                       {@link #resume()} or {@link #stop()} it)
     */
    public void pause() {
        pauseOrResume(true);
    }

    /**
     * Lets a paused sandbox run on from where it was paused. Resuming a sandbox that is not paused does nothing.
     *
     * @throws UnsupportedOperationException naming the driver, if its driver cannot pause sandboxes
     * @throws IllegalStateException         if the sandbox was stopped
     * @throws SandboxTimeoutException       if the sandbox did not confirm in time
     */
    public void resume() {
        pauseOrResume(false);
    }

    /** Whether the sandbox is paused ({@link #pause()} returned and {@link #resume()} has not since). */
    public boolean isPaused() {
        return handle.isPaused();
    }

    /**
     * Writes a checkpoint of this sandbox's processes and in-memory files (its work directory, {@code /tmp}) and returns
     * it as a snapshot, from which {@link SandboxProvider#fork(SandboxSnapshot)} starts new, independent sandboxes with
     * that memory and those files. The sandbox ends with its checkpoint (gVisor cannot leave it running): it is stopped
     * through its provider, which emits STOPPED. Scratch volumes are not part of a checkpoint, so a sandbox with any is
     * refused. The snapshot belongs to this sandbox's provider (see {@link SandboxSnapshot} for who removes it).
     *
     * <p>Docker driver: needs runtime {@code runsc}, an engine with experimental features on, and this JVM on the
     * engine's host with write access to its data root (a fork copies the checkpoint there).
     *
     * @throws UnsupportedOperationException naming the driver, runtime or engine setting that cannot checkpoint; the
     *                                       sandbox was not touched and runs on
     * @throws IllegalStateException         if the sandbox was stopped or is paused
     * @throws SandboxException              if the checkpoint failed (the sandbox is stopped)
     */
    public SandboxSnapshot checkpoint() {
        if (!handle.canCheckpoint()) {
            throw new UnsupportedOperationException("driver '" + driver + "' cannot checkpoint sandbox " + id
                    + " (capability 'checkpoint' is not supported by the " + driver + " driver)");
        }
        if (stopClaimed.get()) {
            throw new IllegalStateException("sandbox " + id + " is stopped: checkpoint is no longer possible");
        }
        requireNotPaused("taking a checkpoint");
        if (!spec.scratchVolumes().isEmpty()) {
            throw new UnsupportedOperationException("sandbox " + id + " has scratch volumes " + spec.scratchVolumes()
                    + ", whose contents a checkpoint does not hold: checkpoint a sandbox without scratch volumes (its work"
                    + " directory and /tmp are kept)");
        }
        return provider.checkpoint(this);
    }

    private void pauseOrResume(boolean pause) {
        String what = pause ? "pause" : "resume";
        if (!handle.canPause()) {
            throw new UnsupportedOperationException("driver '" + driver + "' cannot " + what + " sandbox " + id
                    + " (capability 'pause' is not supported by the " + driver + " driver): stop it instead, or use a"
                    + " driver that can pause, such as docker");
        }
        if (stopClaimed.get()) {
            throw new IllegalStateException("sandbox " + id + " is stopped: " + what + " is no longer possible");
        }
        try {
            if (pause) {
                handle.pause(PAUSE_TIMEOUT);
            } else {
                handle.resume(PAUSE_TIMEOUT);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxException(what + " of sandbox " + id + " was interrupted", e);
        }
    }

    private void requireNotPaused(String what) {
        if (handle.isPaused()) {
            throw new IllegalStateException("sandbox " + id + " is paused: resume() it before " + what);
        }
    }

    /** Stops it through its provider; see {@link SandboxProvider#stop(Sandbox)}. */
    public StopOutcome stop() {
        return provider.stop(this);
    }

    /** Same as {@link #stop()}; idempotent. */
    @Override
    public void close() {
        stop();
    }

    SandboxProvider provider() {
        return provider;
    }

    @Override
    public String toString() {
        return "Sandbox[" + driver + "/" + id + ", " + startType.wireName() + "]";
    }
}
