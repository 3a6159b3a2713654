package dev.devs.sandbox.docker;

import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotModifiedException;
import dev.devs.sandbox.ExecResult;
import dev.devs.sandbox.SandboxException;
import dev.devs.sandbox.SandboxExecException;
import dev.devs.sandbox.SandboxExecTimeoutException;
import dev.devs.sandbox.StopOutcome;
import dev.devs.sandbox.spi.PhaseRecorder;
import dev.devs.sandbox.spi.SandboxDriver;
import dev.devs.sandbox.ExecSpec;
import dev.devs.sandbox.FileInfo;
import dev.devs.sandbox.SandboxCapability;
import dev.devs.sandbox.SandboxEndpoint;
import dev.devs.sandbox.SandboxProcess;
import dev.devs.sandbox.SandboxTerminal;
import java.io.InputStream;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The Docker driver's grip on one running container and the volumes created for it. Thread-safe. */
final class ContainerHandle implements SandboxDriver.Handle {

    /**
     * {@code sh -c SCRIPT sh PATH LENGTH}: makes the parent directory, copies LENGTH bytes of stdin to PATH, prints
     * PATH when done. Counted rather than read to EOF: docker-java's HTTP transport cannot half-close an exec's
     * stdin, so the command would never see EOF.
     */
    private static final String WRITE_FROM_STDIN = "mkdir -p \"$(dirname \"$1\")\" && head -c \"$2\" > \"$1\" && echo \"$1\"";
    /**
     * {@code sh -c SCRIPT sh PATH OCTAL}: the same for a small file, with only shell built-ins on the common path (no
     * stdin stream to set up, no process but the shell unless the directory is missing): the contents travel as
     * {@code printf} octal escapes, every byte escaped so that no byte is read as a format.
     */
    private static final String WRITE_SMALL = "d=${1%/*}; { [ -z \"$d\" ] || [ -d \"$d\" ] || mkdir -p \"$d\"; }"
            + " && printf \"$2\" > \"$1\" && echo \"$1\"";
    /** How long a write over the claim channel may take before the exec path is tried instead. */
    private static final Duration CHANNEL_PATIENCE = Duration.ofSeconds(2);
    /** Files up to this size go as arguments (4 bytes of escape each, well under Linux's 128 KiB per argument). */
    private static final int SMALL_FILE_BYTES = 16 * 1024;

    /** 128 + SIGKILL: what the engine reports for a container it had to kill. */
    private static final long EXIT_KILLED = 137;
    /** Guards a stop's wait for the admission gate against a bug only: the queue moves by itself (see stop). */
    private static final Duration STOP_QUEUE_LIMIT = Duration.ofHours(1);
    /** How long after the engine's stop answer the watchdog's exit line may take to arrive. */
    private static final Duration LAST_WORDS_WAIT = Duration.ofSeconds(2);

    /** What a handle works with; one instance per driver, shared by its handles. */
    record Collaborators(EngineCalls engine, ExecRunner execs, ExecKiller killer, ContainerDiagnostics diagnostics,
                         EngineFailureTranslator failures, ResourceRemover remover, AdmissionGate gate,
                         ContainerCheckpoints checkpoints) {
    }

    private final Collaborators with;
    private final String sandboxId;
    private final String containerId;
    private final OwnerLink link;
    /** The container's working directory (the spec's workDir), against which a relative one is resolved. */
    private final String workDir;
    /** Whether the container has scratch volumes, which its stop must look for and remove. */
    private final boolean hasVolumes;
    /** A pooled idle sandbox's channel for a claim's files, between prepareForClaim and claimed; else null. */
    private volatile ClaimChannel channel;
    private final ContainerPause pause;
    /** Set once a checkpoint has ended the container: its stop is then an orderly one. */
    private volatile boolean checkpointed;
    /** Processes, terminals, files and ports of this sandbox. */
    private final ContainerSurface surface;

    ContainerHandle(Collaborators with, String sandboxId, String containerId, OwnerLink link, String workDir, boolean hasVolumes,
                    ContainerSurface surface) {
        this.surface = surface;
        this.with = with;
        this.hasVolumes = hasVolumes;
        this.sandboxId = sandboxId;
        this.containerId = containerId;
        this.link = link;
        this.workDir = workDir;
        this.pause = new ContainerPause(with.engine(), with.failures(), sandboxId, containerId, link);
    }

    /** Runs the command; one that outlives {@code timeout} is killed with its children. */
    @Override
    public ExecResult exec(List<String> command, Duration timeout) throws InterruptedException {
        return exec(command, Map.of(), null, timeout);
    }

    /** Runs the command with a pooled claim's env and working directory (the engine's exec options). */
    @Override
    public ExecResult exec(List<String> command, Map<String, String> env, String workingDir, Duration timeout)
            throws InterruptedException {
        return exec(command, env, workingDir, null, timeout);
    }

    /**
     * Writes each file through an exec of the image's {@code sh} (so the image needs {@code sh}, {@code mkdir},
     * {@code dirname} and {@code head}), as the sandbox's user, in the working directory (so that relative paths
     * resolve there), with the contents on stdin: the engine's archive API cannot write
     * into the tmpfs work directory or a read-only root file system.
     */
    @Override
    public void writeFiles(Map<String, byte[]> files, String workingDir, Duration timeout) throws InterruptedException {
        String dir = absolute(workingDir);
        // Resolved here, not by the exec's working directory, which need not exist before its first file.
        Map<String, byte[]> resolved = new LinkedHashMap<>();
        files.forEach((path, content) -> resolved.put(path.startsWith("/") ? path : dir + "/" + path, content));
        ClaimChannel open = channel;
        if (open != null && ClaimChannel.accepts(resolved)
                && open.write(resolved, timeout.compareTo(CHANNEL_PATIENCE) < 0 ? timeout : CHANNEL_PATIENCE)) {
            return;
        }
        for (Map.Entry<String, byte[]> file : resolved.entrySet()) {
            String path = file.getKey();
            byte[] content = file.getValue();
            ExecResult r = content.length <= SMALL_FILE_BYTES
                    ? exec(List.of("sh", "-c", WRITE_SMALL, "sh", path, octal(content)), Map.of(), null, null, timeout)
                    : exec(List.of("sh", "-c", WRITE_FROM_STDIN, "sh", path, String.valueOf(content.length)), Map.of(), null,
                            content, timeout);
            if (r.exitCode() != 0 || !r.stdout().equals(path + "\n")) {
                throw new SandboxExecException(sandboxId, "writing " + path + " in sandbox " + sandboxId + " failed (exit code "
                        + r.exitCode() + "): " + ContainerDiagnostics.clip(r.stderr().isBlank() ? r.stdout() : r.stderr()));
            }
        }
    }

    static String octal(byte[] content) {
        StringBuilder sb = new StringBuilder(content.length * 4);
        for (byte b : content) {
            int v = b & 0xff;
            sb.append('\\').append((char) ('0' + (v >> 6))).append((char) ('0' + ((v >> 3) & 7))).append((char) ('0' + (v & 7)));
        }
        return sb.toString();
    }

    /**
     * Opens the {@link ClaimChannel} of an idle pooled sandbox (on the pool's refill thread), and its command channel, so
     * that a claim's first command takes it.
     */
    @Override
    public void prepareForClaim() throws InterruptedException {
        channel = ClaimChannel.open(with.engine(), containerId);
        surface.openChannelNow();
    }

    /** {@code exec.path} and {@code exec.path.reason}: see {@link DockerDriver.ExecPath}. */
    @Override
    public Map<String, String> liveAttributes() {
        return surface.pathAttributes();
    }

    /** Closes the claim channel: the claimant's sandbox runs no process of ours. */
    @Override
    public void claimed() {
        ClaimChannel open = channel;
        channel = null;
        if (open != null) {
            open.close();
        }
    }

    /** A working directory made absolute against the container's (the engine takes absolute ones only). */
    private String absolute(String workingDir) {
        if (workingDir == null) {
            return workDir;
        }
        return workingDir.startsWith("/") ? workingDir : workDir + "/" + workingDir;
    }

    private ExecResult exec(List<String> command, Map<String, String> env, String workingDir, byte[] stdin, Duration timeout)
            throws InterruptedException {
        with.engine().ensureOpen();
        ExecChannel ch = surface.channel();
        if (ch != null) {
            try {
                return ChannelExec.run(ch, command, env, workingDir == null ? null : absolute(workingDir), stdin, timeout);
            } catch (ChannelExec.TimedOut t) {
                throw new SandboxExecTimeoutException(sandboxId, timeout, "command " + command + " in sandbox " + sandboxId
                        + " did not finish within " + timeout + (t.killed ? "; it was killed with its process group"
                        : "; its process group was sent SIGKILL")
                        + " (output so far: stdout '" + ContainerDiagnostics.clip(t.partial.stdout()) + "', stderr '"
                        + ContainerDiagnostics.clip(t.partial.stderr()) + "')");
            } catch (java.io.IOException e) {
                if (surface.isEnded() || !isAlive()) {
                    throw new SandboxExecException(sandboxId, "sandbox " + sandboxId + " is not running (it has ended), so "
                            + command + " cannot run in it: " + e.getMessage(), e);
                }
                if (ch.isOpen()) {
                    // The channel is up and the command could not start (fork failed): say so, as the engine would.
                    throw new SandboxExecException(sandboxId, "starting " + command + " in sandbox " + sandboxId + " failed: "
                            + e.getMessage(), e);
                }
                // The channel ended under the command (a command killed the agent). The command may have run in part, so
                // it is not run again; the next command takes the engine's exec until the channel is open again.
                throw new SandboxExecException(sandboxId, "command " + command + " in sandbox " + sandboxId
                        + " was cut off: " + e.getMessage(), e);
            }
        }
        try {
            return with.execs().run(containerId, command, env, workingDir == null ? null : absolute(workingDir), stdin, timeout);
        } catch (ExecRunner.ExecTimedOut t) {
            boolean killed = with.killer().kill(containerId, t.execId);
            throw new SandboxExecTimeoutException(sandboxId, timeout, "command " + command + " in sandbox " + sandboxId
                    + " did not finish within " + timeout + (killed ? "; it was killed"
                    : "; it could not be killed from here and runs until the sandbox stops")
                    + " (output so far: stdout '" + ContainerDiagnostics.clip(t.partial.stdout()) + "', stderr '"
                    + ContainerDiagnostics.clip(t.partial.stderr()) + "')");
        } catch (RuntimeException e) {
            if (EngineErrorClassifier.isGone(e)) {
                // dockerd's 404, or Podman's 500 "no such container" when its auto-removal of the exited container won.
                throw new SandboxExecException(sandboxId, "sandbox " + sandboxId + " is not running (it has ended and the engine removed it), so "
                        + command + " cannot run in it: " + EngineErrorClassifier.engineMessage((DockerException) e), e);
            }
            if (EngineErrorClassifier.isNotRunning(e)) {
                throw new SandboxExecException(sandboxId, "sandbox " + sandboxId + " is not running (" + with.diagnostics().describeNow(containerId)
                        + "), so " + command + " cannot run in it: " + EngineErrorClassifier.engineMessage((DockerException) e), e);
            }
            throw with.failures().afterStart(sandboxId, "run " + command + " in container " + containerId, e);
        }
    }

    /**
     * {@code docker stop -t <grace>}, then remove container and volumes. STOPPED when the process exited on
     * its own after SIGTERM; KILLED when the engine had to SIGKILL it (exit 137), the kernel OOM-killed it, or
     * it was no longer running when asked to stop. The stop and removal hold a slot of the driver's admission gate
     * (queued ahead of starts; the queue moves since every holder is bounded). The owner link is closed and the removal runs even if
     * the stop failed or was interrupted, except when the engine did not answer the stop at all: it would not answer
     * the removal either, so the stop fails within the grace period plus one response timeout. A stop that failed
     * may be called again: what is already gone counts as removed.
     */
    @Override
    public StopOutcome stop(Duration gracePeriod, PhaseRecorder phases) throws InterruptedException {
        claimed(); // an idle pooled sandbox may still have its claim channel open
        surface.end(); // its processes end with it: their handles say so from now on
        long queuedAt = System.nanoTime();
        // No short bound on the wait: every slot holder is itself bounded (a start by its deadline, a stop by its grace plus
        // the response timeout) and stops go first, so the queue moves; a stop-all of hundreds must not fail for waiting.
        AdmissionGate.Permit permit = with.gate().enter(AdmissionGate.Kind.STOP, STOP_QUEUE_LIMIT);
        if (permit == null || permit.waited()) {
            phases.recordPhase(DockerDriver.QUEUED_PHASE, System.nanoTime() - queuedAt);
        }
        if (permit == null) {
            throw new SandboxException("sandbox " + sandboxId + " was not stopped: its stop was queued for "
                    + STOP_QUEUE_LIMIT + " behind other engine operations (at most " + with.gate().describeBound()
                    + " in flight) and did not reach the engine; nothing was done, and the stop may be retried");
        }
        try (permit) {
            return stopAndRemove(gracePeriod, phases);
        }
    }

    private StopOutcome stopAndRemove(Duration gracePeriod, PhaseRecorder phases) throws InterruptedException {
        StopOutcome outcome = StopOutcome.KILLED;
        RuntimeException failure = null;
        InterruptedException interrupted = null;
        PhaseRecorder.Phase stop = phases.phase("stop");
        try {
            outcome = stopContainer(gracePeriod);
        } catch (InterruptedException e) {
            interrupted = e;
        } catch (RuntimeException e) {
            failure = with.failures().afterStart(sandboxId, "stop container " + containerId, e);
        } finally {
            stop.close();
        }
        PhaseRecorder.Phase remove = phases.phase("remove");
        try {
            link.close();
            // An engine that did not answer the stop would not answer the removal either: the stop fails within the grace
            // period plus one response timeout, and a retry removes what is left.
            if (failure == null || !EngineErrorClassifier.isSilent(failure)) {
                with.remover().removeAll(sandboxId, containerId, hasVolumes);
            }
        } catch (RuntimeException e) {
            if (failure == null) {
                failure = e;
            } else {
                failure.addSuppressed(e);
            }
        } finally {
            remove.close();
        }
        if (interrupted != null) {
            throw interrupted;
        }
        if (failure != null) {
            throw failure;
        }
        return checkpointed ? StopOutcome.STOPPED : outcome;
    }

    private StopOutcome stopContainer(Duration gracePeriod) throws InterruptedException {
        // The engine counts whole seconds; rounding up never kills earlier than asked.
        long seconds = (gracePeriod.toNanos() + 999_999_999L) / 1_000_000_000L;
        int timeout = (int) Math.min(seconds, Integer.MAX_VALUE);
        boolean endedBefore = link.isEnded();
        try {
            with.engine().awaitedRequest(Duration.ofSeconds(seconds), c -> c.stopContainerCmd(containerId).withTimeout(timeout).exec());
        } catch (NotModifiedException alreadyStopped) {
            return StopOutcome.KILLED; // it had died on its own before the stop
        } catch (RuntimeException e) {
            if (EngineErrorClassifier.isGone(e)) {
                return StopOutcome.KILLED; // removed behind our back (or by the engine, having exited): it did not stop on request
            }
            throw e;
        }
        if (endedBefore) {
            return StopOutcome.KILLED;
        }
        // The engine removes the exited container at once, so its exit code is read from the watchdog's last words.
        link.awaitEnd(LAST_WORDS_WAIT);
        Integer status = link.exitStatus();
        return status == null || status == EXIT_KILLED ? StopOutcome.KILLED : StopOutcome.STOPPED;
    }

    /** Pause and resume are carried out by the owner watchdog; see {@link ContainerPause}. */
    @Override
    public void pause(Duration timeout) throws InterruptedException {
        with.engine().ensureOpen();
        pause.pause(timeout);
    }

    @Override
    public void resume(Duration timeout) throws InterruptedException {
        with.engine().ensureOpen();
        pause.resume(timeout);
    }

    @Override
    public boolean isPaused() {
        return pause.isPaused();
    }

    /**
     * Writes the checkpoint, which ends the container (runsc cannot leave it running), or refuses this sandbox (runtime,
     * engine) before anything is done; see {@link ContainerCheckpoints}.
     */
    @Override
    public SandboxDriver.Checkpoint checkpoint(String snapshotId, Duration timeout) throws InterruptedException {
        with.engine().ensureOpen();
        // The channel's exec would be part of the checkpoint, and gVisor cannot restore a process attached to the host's
        // streams: end it, or one opening, first (the checkpoint ends the sandbox's processes anyway).
        surface.holdChannel();
        try {
            SandboxDriver.Checkpoint written = with.checkpoints().checkpoint(sandboxId, containerId, link, snapshotId, timeout);
            checkpointed = true;
            return written;
        } finally {
            surface.releaseChannel();
        }
    }

    /** One inspect; false when the container is gone, has exited, or the engine cannot be asked. */
    @Override
    public boolean isAlive() {
        try {
            return Boolean.TRUE.equals(with.engine().request(c -> c.inspectContainerCmd(containerId).exec().getState()).getRunning());
        } catch (InterruptedException e) {
            return false; // the caller's interrupt status stays set
        } catch (RuntimeException e) {
            return false;
        }
    }

    @Override
    public Set<SandboxCapability> capabilities() {
        return ContainerSurface.CAPABILITIES;
    }

    @Override
    public SandboxProcess start(ExecSpec spec) throws InterruptedException {
        with.engine().ensureOpen();
        return surface.start(spec);
    }

    @Override
    public SandboxTerminal openTerminal(ExecSpec spec, int columns, int rows) throws InterruptedException {
        with.engine().ensureOpen();
        return surface.openTerminal(spec, columns, rows);
    }

    @Override
    public InputStream openRead(String path, Duration timeout) throws InterruptedException {
        return surface.files().openRead(path, timeout);
    }

    @Override
    public void write(String path, InputStream content, Duration timeout) throws InterruptedException {
        surface.files().write(path, content, timeout);
    }

    @Override
    public List<FileInfo> list(String dir, Duration timeout) throws InterruptedException {
        return surface.files().list(dir, timeout);
    }

    @Override
    public FileInfo stat(String path, Duration timeout) throws InterruptedException {
        return surface.files().stat(path, timeout);
    }

    @Override
    public void delete(String path, boolean recursive, Duration timeout) throws InterruptedException {
        surface.files().delete(path, recursive, timeout);
    }

    @Override
    public void mkdirs(String path, Duration timeout) throws InterruptedException {
        surface.files().mkdirs(path, timeout);
    }

    @Override
    public void rename(String from, String to, Duration timeout) throws InterruptedException {
        surface.files().rename(from, to, timeout);
    }

    @Override
    public void untar(String dir, InputStream tar, Duration timeout) throws InterruptedException {
        surface.files().untar(dir, tar, timeout);
    }

    @Override
    public InputStream openTar(String path, Duration timeout) throws InterruptedException {
        return surface.files().openTar(path, timeout);
    }

    @Override
    public SandboxEndpoint endpoint(int port) {
        return surface.endpoint(port);
    }


    @Override
    public String toString() {
        return "ContainerHandle[" + sandboxId + ", " + ContainerDiagnostics.shortId(containerId) + "]";
    }
}
