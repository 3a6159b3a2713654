package dev.devs.sandbox;

import dev.devs.sandbox.spi.SandboxDriver;
import java.io.OutputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Callable;
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
    private final SandboxSpec spec;
    /** Its READY event, which holds its id, driver, start type, times, phases and the attributes it was ready with. */
    private final SandboxLifecycleEvent.Ready ready;
    private final String id;
    final SandboxDriver.Handle handle;
    /** A pooled claim's env and working directory for every exec and relative path, or none. */
    private final ExecScope scope;
    /** Shared by a pooled sandbox and its claim, which are one sandbox: stopping either stops it once. */
    final AtomicBoolean stopClaimed;
    final CompletableFuture<StopOutcome> stopped;

    /** {@code stopClaimed} and {@code stopped} are shared by a pooled sandbox and its claim, which are one sandbox. */
    Sandbox(SandboxProvider provider, SandboxSpec spec, SandboxLifecycleEvent.Ready ready, SandboxDriver.Handle handle,
            ExecScope scope, AtomicBoolean stopClaimed, CompletableFuture<StopOutcome> stopped) {
        this.provider = provider;
        this.spec = spec;
        this.ready = ready;
        this.id = ready.sandboxId();
        this.handle = handle;
        this.scope = scope;
        this.stopClaimed = stopClaimed;
        this.stopped = stopped;
    }

    /** This sandbox as handed out by a pool to one claim: the same handle, the claim's times and customisation. */
    Sandbox claimed(SandboxSpec claimSpec, Instant acquiredAt, Instant handedOutAt, Duration duration,
                    Map<String, Duration> claimPhases, Map<String, String> claimAttributes, PoolClaim claim) {
        return new Sandbox(provider, claimSpec, new SandboxLifecycleEvent.Ready(id, ready.driver(), StartType.POOLED, acquiredAt,
                handedOutAt, duration, claimPhases, claimAttributes), handle, ExecScope.of(claim), stopClaimed, stopped);
    }

    /** The id on every event of this sandbox and on every resource the driver created for it. */
    public String id() { return id; }

    /** The driver's name. */
    public String driver() { return ready.driver(); }

    /** Whether this start was cold or warm. */
    public StartType startType() { return ready.startType(); }

    /** The spec it was started from. */
    public SandboxSpec spec() { return spec; }

    /** When provisioning began (provider clock). */
    public Instant provisioningStartedAt() { return ready.provisioningStartedAt(); }

    /** When it became ready (provider clock). */
    public Instant provisioningReadyAt() { return ready.provisioningReadyAt(); }

    /** Provisioning time on the monotonic clock, as on the READY event. */
    public Duration provisioningDuration() { return ready.duration(); }

    /** Per-phase provisioning durations in order, as on the READY event. */
    public Map<String, Duration> phases() { return ready.phases(); }

    /** Its READY event, to emit; its attributes are what the stop's event carries, so that both events say the same. */
    SandboxLifecycleEvent.Ready ready() {
        return ready;
    }

    /**
     * Driver facts (container id, endpoint...), as on the READY event, plus those that change during the sandbox's
     * life (for the Docker driver, {@code exec.path}: which path its commands take now). A snapshot: read it again to
     * see a change.
     */
    public Map<String, String> attributes() {
        Map<String, String> live = handle.liveAttributes();
        if (live.isEmpty()) {
            return ready.attributes();
        }
        Map<String, String> all = new java.util.LinkedHashMap<>(ready.attributes());
        all.putAll(live);
        return java.util.Collections.unmodifiableMap(all);
    }

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
        ExecSpec.requireCommand(command);
        ExecSpec.requireTimeout(timeout, command);
        requireUsable("exec", "running " + command);
        try {
            return handle.exec(List.copyOf(command), scope.env(), scope.workingDir(), timeout);
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
        requireUsable("writing " + path, "writing " + path);
        try {
            handle.writeFiles(Map.of(path, content.clone()), scope.workingDir(), DEFAULT_EXEC_TIMEOUT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxExecException(id, "writing " + path + " in sandbox " + id + " was interrupted", e);
        }
    }

    /**
     * What this sandbox supports beyond start, {@link #exec(String...)} and stop. A call that needs a capability not
     * in this set throws {@link SandboxCapabilityException} before anything is sent to the sandbox.
     */
    public Set<SandboxCapability> capabilities() {
        return handle.capabilities();
    }

    /**
     * Runs a command and waits for it, collecting its output as {@link #exec(List, Duration)} does, with the options
     * of an {@link ExecSpec} (stdin, env, working directory, merged stderr). Built on the streaming
     * {@link #exec(ExecSpec, OutputStream, OutputStream)}; each stream is kept up to {@link #MAX_CAPTURE_BYTES} (the
     * rest is counted, not kept, and the text says it was cut).
     *
     * @throws SandboxExecTimeoutException if it does not finish within the spec's timeout (default
     *                                     {@link #DEFAULT_EXEC_TIMEOUT}); it was killed with its children
     */
    public ExecResult exec(ExecSpec spec) {
        return StreamingExec.collect(spec, this::exec);
    }

    /** The most of each stream {@link #exec(ExecSpec)} keeps: 16 MiB. */
    public static final int MAX_CAPTURE_BYTES = 16 * 1024 * 1024;

    /**
     * Runs a command, copying its stdout and stderr to the given streams as they are produced (on threads of the
     * library; the streams need not be thread-safe, each is written by one thread), and returns its exit code once
     * it has ended and both streams are copied. Memory stays bounded whatever the command prints: output is handed
     * on in chunks of at most 64 KiB. With {@link ExecSpec.Builder#redirectErrorStream(boolean)} everything goes to
     * {@code stdout}. Stdin is the spec's (bytes or stream, then closed), or closed at once.
     *
     * @param stderr where stderr goes; may be the same stream as {@code stdout} only when the output is merged
     * @throws SandboxExecTimeoutException if it does not finish within the spec's timeout (default
     *                                     {@link #DEFAULT_EXEC_TIMEOUT}); it was killed with its children
     * @throws SandboxExecException        if a stream could not be copied, the sandbox ended, or the caller was
     *                                     interrupted (the command is then killed)
     * @throws SandboxCapabilityException  if the driver cannot stream ({@link SandboxCapability#EXEC_STREAMING}) or
     *                                     take stdin ({@link SandboxCapability#EXEC_STDIN}) when the spec has some
     */
    public int exec(ExecSpec spec, OutputStream stdout, OutputStream stderr) {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(stdout, "stdout");
        Objects.requireNonNull(stderr, "stderr");
        require(SandboxCapability.EXEC_STREAMING);
        Duration timeout = spec.timeout() == null ? DEFAULT_EXEC_TIMEOUT : spec.timeout();
        SandboxProcess p = startChecked(spec, false);
        return call(() -> StreamingExec.run(this, spec, p, stdout, stderr, timeout));
    }

    /**
     * Starts a command in the background and returns at once with its handle, as {@link ProcessBuilder#start()}.
     * The process runs until it ends, is killed through its handle, outlives the spec's timeout (when it has one), or
     * its sandbox stops. Its stdin is the spec's (then closed), or open for {@link SandboxProcess#stdin()}.
     *
     * @throws SandboxCapabilityException if the driver has no {@link SandboxCapability#PROCESSES}
     */
    public SandboxProcess start(ExecSpec spec) {
        Objects.requireNonNull(spec, "spec");
        require(SandboxCapability.PROCESSES);
        return startChecked(spec, true);
    }

    /**
     * Starts a command (for example {@code sh}) under a pseudo-terminal of {@code columns} x {@code rows}: what it
     * prints comes raw from {@link SandboxTerminal#stdout()}, what the host types goes raw to
     * {@link SandboxTerminal#stdin()}, and {@link SandboxTerminal#resize} changes the size.
     *
     * @throws IllegalArgumentException   if a dimension is not in 1..65535
     * @throws SandboxCapabilityException if the driver has no {@link SandboxCapability#TERMINAL}
     */
    public SandboxTerminal openTerminal(ExecSpec spec, int columns, int rows) {
        Objects.requireNonNull(spec, "spec");
        requireTerminalSize(columns, rows);
        require(SandboxCapability.TERMINAL);
        if (spec.hasStdin()) {
            throw new IllegalArgumentException("a terminal's input is typed through its stdin(): give no stdin in " + spec);
        }
        ExecSpec resolved = scope.apply(spec, this::resolve);
        return call(() -> handle.openTerminal(resolved, columns, rows));
    }

    /** @throws IllegalArgumentException if a dimension is not in 1..65535 */
    public static void requireTerminalSize(int columns, int rows) {
        if (columns < 1 || columns > 65535 || rows < 1 || rows > 65535) {
            throw new IllegalArgumentException("terminal size " + columns + "x" + rows + " is not valid: columns and rows"
                    + " must each be in 1..65535, e.g. 80x24");
        }
    }

    /** This sandbox's file system; see {@link SandboxFiles}. */
    public SandboxFiles files() {
        return new SandboxFiles(this);
    }

    /**
     * Where the host reaches {@code port}, a port the sandbox serves and its spec declared in
     * {@link SandboxSpec#ports()}. The address answers connections at once; a connection made before anything in the
     * sandbox listens on the port is closed by the sandbox's side.
     *
     * @throws IllegalArgumentException   if the spec did not declare {@code port}
     * @throws SandboxCapabilityException if the driver has no {@link SandboxCapability#PORTS}
     */
    public SandboxEndpoint endpoint(int port) {
        require(SandboxCapability.PORTS);
        if (!spec.ports().contains(port)) {
            throw new IllegalArgumentException("port " + port + " is not declared by sandbox " + id + "'s spec (ports "
                    + spec.ports() + "): declare it with SandboxSpec.builder(...).port(" + port + ")");
        }
        return call(() -> handle.endpoint(port));
    }

    /** Throws before anything is done when the driver lacks {@code capability}, or the sandbox was stopped. */
    void require(SandboxCapability capability) {
        if (!handle.capabilities().contains(capability)) {
            throw new SandboxCapabilityException(driver(), capability, "the " + driver() + " driver cannot do " + capability
                    + " (sandbox " + id + "): its capabilities are " + handle.capabilities()
                    + "; ask Sandbox.capabilities() before calling");
        }
        requireNotStopped(capability.toString());
    }

    /** {@code path} made absolute against the working directory (a claim's, or the spec's); '..' refused. */
    String resolve(String path) {
        Objects.requireNonNull(path, "path");
        ExecScope.requireValid(path);
        String home = call(handle::workingDirectory);
        return scope.resolve(path, home == null ? spec.workDir() : home);
    }

    private SandboxProcess startChecked(ExecSpec spec, boolean background) {
        if (spec.hasStdin()) {
            require(SandboxCapability.EXEC_STDIN);
        }
        ExecSpec resolved = scope.apply(spec, this::resolve);
        return StreamingExec.started(this, spec, call(() -> handle.start(resolved)), background);
    }

    /** Runs a driver call, turning an interrupt into a {@link SandboxExecException} with the interrupt kept. */
    <T> T call(Callable<T> call) {
        try {
            return call.call();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxExecException(id, "a call on sandbox " + id + " was interrupted", e);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new SandboxExecException(id, "a call on sandbox " + id + " failed: " + e, e);
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
     * @throws SandboxCapabilityException if its driver has no {@link SandboxCapability#PAUSE} (nothing is done)
     * @throws IllegalStateException         if the sandbox was stopped
     * @throws SandboxTimeoutException       if the sandbox did not confirm in time (it may be partly paused:
     *                                       {@link #resume()} or {@link #stop()} it)
     */
    public void pause() {
        PauseAndCheckpoint.pauseOrResume(this, true);
    }

    /**
     * Lets a paused sandbox run on from where it was paused. Resuming a sandbox that is not paused does nothing.
     *
     * @throws SandboxCapabilityException if its driver has no {@link SandboxCapability#PAUSE}
     * @throws IllegalStateException         if the sandbox was stopped
     * @throws SandboxTimeoutException       if the sandbox did not confirm in time
     */
    public void resume() {
        PauseAndCheckpoint.pauseOrResume(this, false);
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
     * @throws SandboxCapabilityException   with {@link SandboxCapability#SNAPSHOT}, naming the driver, runtime, engine
     *                                       setting or scratch volumes that cannot be checkpointed; the sandbox was not
     *                                       touched and runs on
     * @throws IllegalStateException         if the sandbox was stopped or is paused
     * @throws SandboxException              if the checkpoint failed (the sandbox is stopped)
     */
    public SandboxSnapshot checkpoint() {
        require(SandboxCapability.SNAPSHOT);
        requireNotPaused("taking a checkpoint");
        PauseAndCheckpoint.requireCheckpointable(this);
        return provider.checkpoint(this);
    }

    /** Refuses {@code what} on a stopped sandbox, and {@code doing} on a paused one. */
    private void requireUsable(String what, String doing) {
        requireNotStopped(what);
        requireNotPaused(doing);
    }

    private void requireNotStopped(String what) {
        if (stopClaimed.get()) {
            throw new IllegalStateException("sandbox " + id + " is stopped: " + what + " is no longer possible");
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
        return "Sandbox[" + driver() + "/" + id + ", " + startType().wireName() + "]";
    }
}
