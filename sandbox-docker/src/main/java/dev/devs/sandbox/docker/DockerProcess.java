package dev.devs.sandbox.docker;

import com.github.dockerjava.api.command.InspectExecResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import dev.devs.sandbox.ExecResult;
import dev.devs.sandbox.ExecSpec;
import dev.devs.sandbox.Sandbox;
import dev.devs.sandbox.SandboxExecException;
import dev.devs.sandbox.SandboxTerminal;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A process started in a container through the engine's exec API, attached on a connection of its own
 * ({@link AttachConnection}): stdout and stderr come apart through bounded {@link BytePipe}s fed by one reader
 * thread, stdin goes straight to the connection, and closing stdin half-closes it. Under a terminal the stream is
 * raw and {@link #resize} asks the engine to resize the exec's terminal. Signals reach the process's whole tree,
 * found from this host as for a timed-out exec ({@link ContainerProcesses}) and sent from inside the container.
 */
final class DockerProcess implements SandboxTerminal, ContainerSurface.Member {

    /** Signal names {@code kill} takes in every shell; checked so that no argument of ours reaches a shell unquoted. */
    private static final Set<String> SIGNALS = Set.of("HUP", "INT", "QUIT", "KILL", "USR1", "USR2", "PIPE", "ALRM", "TERM",
            "CONT", "STOP", "TSTP", "TTIN", "TTOU", "WINCH");
    private static final Duration SIGNAL_TIMEOUT = Duration.ofSeconds(10);

    private final ContainerSurface surface;
    private final String execId;
    private final boolean tty;
    private final AttachConnection connection;
    private final BytePipe out = new BytePipe();
    private final BytePipe err = new BytePipe();
    private final CountDownLatch streamEnded = new CountDownLatch(1);
    private volatile Integer exitCode;

    private DockerProcess(ContainerSurface surface, String execId, boolean tty, AttachConnection connection) {
        this.surface = surface;
        this.execId = execId;
        this.tty = tty;
        this.connection = connection;
    }

    /** Creates the exec, attaches it and starts reading its output; the process runs when this returns. */
    static DockerProcess start(ContainerSurface surface, ExecSpec spec, boolean tty, int columns, int rows)
            throws InterruptedException {
        String execId = surface.createExec(spec, tty);
        AttachConnection c;
        try {
            c = AttachConnection.start(surface.dockerHost(), execId, tty);
        } catch (AttachConnection.Refused e) {
            throw surface.failed(spec.command(), e.status == 404 || e.status == 409, e);
        } catch (IOException e) {
            throw surface.failed(spec.command(), false, e);
        }
        DockerProcess p = new DockerProcess(surface, execId, tty, c);
        surface.register(p);
        Thread reader = new Thread(tty ? p::pumpRaw : () -> p.pumpFrames(spec.redirectErrorStream()),
                "devs-docker-exec-" + ContainerDiagnostics.shortId(execId));
        reader.setDaemon(true);
        reader.start();
        if (tty) {
            p.resize(columns, rows);
        }
        return p;
    }

    /** Demultiplexes the engine's frames: 8 bytes (stream, 0, 0, 0, length big-endian), then the payload. */
    private void pumpFrames(boolean merge) {
        IOException failure = null;
        try {
            InputStream in = connection.input();
            byte[] head = new byte[8];
            byte[] buf = new byte[64 * 1024];
            while (in.readNBytes(head, 0, 8) == 8) {
                long len = ((head[4] & 0xffL) << 24) | ((head[5] & 0xff) << 16) | ((head[6] & 0xff) << 8) | (head[7] & 0xff);
                BytePipe to = head[0] == 2 && !merge ? err : out;
                while (len > 0) {
                    int n = in.read(buf, 0, (int) Math.min(buf.length, len));
                    if (n < 0) {
                        throw new IOException("the engine ended exec " + execId + "'s stream inside a frame");
                    }
                    to.write(buf, 0, n);
                    len -= n;
                }
            }
        } catch (IOException e) {
            failure = surface.isEnded() ? null : e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            out.closeWriter(failure);
            err.closeWriter(null);
            streamEnded.countDown();
        }
    }

    private void pumpRaw() {
        IOException failure = null;
        try {
            InputStream in = connection.input();
            byte[] buf = new byte[64 * 1024];
            int n;
            while ((n = in.read(buf)) >= 0) {
                out.write(buf, 0, n);
            }
        } catch (IOException e) {
            failure = surface.isEnded() ? null : e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            out.closeWriter(failure);
            err.closeWriter(null);
            streamEnded.countDown();
        }
    }

    @Override
    public String id() {
        return execId;
    }

    @Override
    public InputStream stdout() {
        return out;
    }

    @Override
    public InputStream stderr() {
        return err;
    }

    @Override
    public OutputStream stdin() {
        return connection.output();
    }

    @Override
    public boolean isAlive() {
        if (exitCode != null || surface.isEnded()) {
            return false;
        }
        try {
            return inspect() == null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (SandboxExecException e) {
            return false;
        }
    }

    @Override
    public boolean waitFor(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + Math.max(0, timeout.toNanos());
        long pauseNanos = 1_000_000;
        while (true) {
            if (exitCode != null) {
                return true;
            }
            // The exit code lands a moment after the stream ends; a process whose child holds its output open ends
            // before its stream does, so look at the engine either way, more rarely as time passes.
            if (inspect() != null) {
                return true;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            boolean ended = streamEnded.getCount() == 0;
            long wait = Math.min(left, ended ? Math.min(pauseNanos, 20_000_000) : pauseNanos);
            if (!ended) {
                streamEnded.await(wait, TimeUnit.NANOSECONDS);
            } else {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            pauseNanos = Math.min(pauseNanos * 2, 200_000_000);
        }
    }

    /** The exit code once the engine has recorded it, else null; throws when the sandbox ended first. */
    private Integer inspect() throws InterruptedException {
        if (exitCode != null) {
            return exitCode;
        }
        if (surface.isEnded()) {
            throw surface.endedBefore(execId);
        }
        InspectExecResponse r;
        try {
            r = surface.engine().request(c -> c.inspectExecCmd(execId).exec());
        } catch (NotFoundException e) {
            throw surface.endedBefore(execId);
        }
        if (!Boolean.TRUE.equals(r.isRunning()) && r.getExitCodeLong() != null) {
            exitCode = r.getExitCodeLong().intValue();
        }
        return exitCode;
    }

    @Override
    public int exitValue() {
        try {
            Integer code = inspect();
            if (code == null) {
                throw new IllegalStateException("process " + execId + " in sandbox " + surface.sandboxId() + " is still running");
            }
            return code;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxExecException(surface.sandboxId(), "asking for the exit code of " + execId + " was interrupted", e);
        }
    }

    @Override
    public void signal(String signal) {
        String name = signal == null ? "" : signal.startsWith("SIG") ? signal.substring(3) : signal;
        if (!SIGNALS.contains(name)) {
            throw new IllegalArgumentException("signal '" + signal + "' is not one of " + new java.util.TreeSet<>(SIGNALS));
        }
        if (name.equals("KILL")) {
            destroyForcibly();
            return;
        }
        try {
            if (inspect() != null) {
                return;
            }
            long hostPid;
            try {
                hostPid = surface.execs().runningPid(execId);
            } catch (IllegalStateException e) {
                throw new SandboxExecException(surface.sandboxId(), "process " + execId + " of sandbox " + surface.sandboxId()
                        + " cannot be signalled: " + e.getMessage(), e);
            }
            List<Long> tree = hostPid == 0 ? List.of() : ContainerProcesses.namespacePidsOfTree(hostPid, surface.containerId());
            if (tree.isEmpty()) {
                if (inspect() != null) {
                    return;
                }
                throw new SandboxExecException(surface.sandboxId(), "process " + execId + " of sandbox " + surface.sandboxId()
                        + " cannot be signalled from here: its processes are not visible on this host (an engine on"
                        + " another machine, or a runtime such as gVisor that hides them)");
            }
            List<String> kill = new ArrayList<>(List.of("sh", "-c", "kill -" + name + " \"$@\"", "kill"));
            tree.forEach(p -> kill.add(Long.toString(p)));
            ExecResult r = surface.execs().run(surface.containerId(), kill, SIGNAL_TIMEOUT);
            // A process of the tree that ended between the listing and the kill is no failure: the rest got the signal.
            boolean onlyGone = r.stderr().lines().allMatch(l -> l.isBlank() || l.contains("No such process"));
            if (r.exitCode() != 0 && !onlyGone && inspect() == null) {
                throw new SandboxExecException(surface.sandboxId(), "kill -" + name + " of process " + execId + " in sandbox "
                        + surface.sandboxId() + " exited " + r.exitCode() + ": " + r.stderr().trim());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxExecException(surface.sandboxId(), "signalling " + execId + " was interrupted", e);
        }
    }

    @Override
    public void destroyForcibly() {
        if (exitCode != null || surface.isEnded()) {
            return;
        }
        boolean killed = surface.killer().kill(surface.containerId(), execId);
        if (!killed && Thread.currentThread().isInterrupted()) {
            throw new SandboxExecException(surface.sandboxId(), "killing " + execId + " was interrupted");
        }
    }

    @Override
    public void resize(int columns, int rows) {
        Sandbox.requireTerminalSize(columns, rows);
        if (!tty) {
            throw new IllegalStateException("process " + execId + " has no terminal to resize");
        }
        try {
            surface.engine().request(c -> c.resizeExecCmd(execId).withSize(rows, columns).exec());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxExecException(surface.sandboxId(), "resizing the terminal of " + execId + " was interrupted", e);
        } catch (RuntimeException e) {
            throw new SandboxExecException(surface.sandboxId(), "resizing the terminal of " + execId + " in sandbox "
                    + surface.sandboxId() + " failed: " + e.getMessage(), e);
        }
    }

    /** Ends the streams because the sandbox has ended. */
    @Override
    public void sandboxEnded() {
        connection.close();
    }

    @Override
    public void close() {
        connection.close();
        out.close();
        err.close();
        surface.unregister(this);
    }

    @Override
    public String toString() {
        return "DockerProcess[" + execId + " in " + surface.sandboxId() + "]";
    }
}
