package dev.devs.sandbox.docker;

import com.github.dockerjava.api.command.InspectExecResponse;
import com.github.dockerjava.api.model.Frame;
import dev.devs.sandbox.ExecResult;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Runs one command in a running container through the engine's exec API, with stdout and stderr
 * demultiplexed and the wait bounded. Used for {@code Sandbox.exec} and for readiness probes.
 */
final class ExecRunner {

    /** Cap per stream, so that a command printing without end cannot exhaust the caller's heap. */
    static final int MAX_CAPTURE_BYTES = 16 * 1024 * 1024;
    private static final String TRUNCATED = "\n[output truncated at 16 MiB by DockerDriver]";

    /** How long after the attach stream ended the engine may take to record the exit code. */
    private static final long EXIT_CODE_GRACE_NANOS = 1_000_000_000L;

    private final EngineCalls engine;

    ExecRunner(EngineCalls engine) {
        this.engine = engine;
    }

    /** The command did not finish in time; its attach stream has been closed, the process may still run. */
    static final class ExecTimedOut extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final String execId;
        final transient ExecResult partial;

        ExecTimedOut(String execId, ExecResult partial) {
            super("exec " + execId + " timed out", null, false, false);
            this.execId = execId;
            this.partial = partial;
        }
    }

    /**
     * Runs {@code command} and waits for its exit code.
     *
     * @throws ExecTimedOut when it does not finish within {@code timeout}
     * @throws InterruptedException the caller was interrupted; the attach stream has been closed
     * @throws RuntimeException docker-java's exceptions as thrown (409 Conflict when the container is not running)
     */
    ExecResult run(String containerId, List<String> command, Duration timeout) throws InterruptedException {
        return run(containerId, command, Map.of(), null, null, timeout);
    }

    /**
     * Runs {@code command} with extra environment variables, in {@code workingDir} (null: the container's), with
     * {@code stdin} (null: none) fed to it and closed, and waits for its exit code.
     */
    ExecResult run(String containerId, List<String> command, Map<String, String> env, String workingDir, byte[] stdin,
                   Duration timeout) throws InterruptedException {
        long t0 = System.nanoTime();
        long deadline = t0 + timeout.toNanos();
        List<String> vars = env.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList();
        String execId = engine.request(c -> {
            var create = c.execCreateCmd(containerId)
                    .withCmd(command.toArray(String[]::new))
                    .withAttachStdout(true)
                    .withAttachStderr(true)
                    .withAttachStdin(stdin != null);
            if (!vars.isEmpty()) {
                create.withEnv(vars);
            }
            if (workingDir != null) {
                create.withWorkingDir(workingDir);
            }
            return create.exec().getId();
        });
        Capture out = new Capture();
        Capture err = new Capture();
        StreamCallback<Frame> stream = new StreamCallback<>(frame -> {
            switch (frame.getStreamType()) {
                case STDERR -> err.write(frame.getPayload());
                case STDOUT, RAW -> out.write(frame.getPayload());
                default -> { }
            }
        });
        var start = engine.streams().execStartCmd(execId).withDetach(false).withTty(false);
        if (stdin != null) {
            start.withStdIn(new ByteArrayInputStream(stdin));
        }
        start.exec(stream);
        boolean done;
        try {
            done = stream.await(Duration.ofNanos(deadline - System.nanoTime()));
        } catch (InterruptedException e) {
            stream.close(); // else the attach connection and its reader thread live as long as the command
            throw e;
        }
        if (!done) {
            stream.close();
            throw new ExecTimedOut(execId, new ExecResult(-1, out.text(), err.text(), Duration.ofNanos(System.nanoTime() - t0)));
        }
        if (stream.error() != null) {
            Throwable e = stream.error();
            throw e instanceof RuntimeException re ? re : new RuntimeException(e);
        }
        Long exitCode = exitCode(execId, deadline);
        if (exitCode == null) {
            throw new ExecTimedOut(execId, new ExecResult(-1, out.text(), err.text(), Duration.ofNanos(System.nanoTime() - t0)));
        }
        return new ExecResult(exitCode.intValue(), out.text(), err.text(), Duration.ofNanos(System.nanoTime() - t0));
    }

    /**
     * The host PID of a running exec, or 0 once it has ended. dockerd records an exec's PID a moment after the process
     * started, so its output may already flow while the engine says "running, PID 0" (seen in about one kill in ten
     * right after the first output): that, and "not running, no exit code yet", mean "look again", never "ended".
     *
     * @throws IllegalStateException when the engine names no PID and no end within the response timeout
     */
    long runningPid(String execId) throws InterruptedException {
        Backoff backoff = new Backoff(200_000, 50_000_000, System.nanoTime() + engine.responseTimeout().toNanos());
        InspectExecResponse r;
        do {
            r = engine.request(c -> c.inspectExecCmd(execId).exec());
            boolean running = Boolean.TRUE.equals(r.isRunning());
            if (running && r.getPidLong() != null && r.getPidLong() > 0) {
                return r.getPidLong();
            }
            if (!running && r.getExitCodeLong() != null) {
                return 0;
            }
        } while (backoff.pause());
        throw new IllegalStateException("the engine named neither a PID nor an exit code for exec " + execId + " within "
                + engine.responseTimeout() + " (running: " + r.isRunning() + ", PID " + r.getPidLong() + ")");
    }

    private Long exitCode(String execId, long deadline) throws InterruptedException {
        // The attach stream ends when the process closes its output; the engine records the exit code a
        // moment later, so the first inspect can still say "running". Retry briefly, never coarsely.
        Backoff backoff = new Backoff(200_000, 20_000_000, Math.max(deadline, System.nanoTime() + EXIT_CODE_GRACE_NANOS));
        do {
            InspectExecResponse r = engine.request(c -> c.inspectExecCmd(execId).exec());
            if (!Boolean.TRUE.equals(r.isRunning()) && r.getExitCodeLong() != null) {
                return r.getExitCodeLong();
            }
        } while (backoff.pause());
        return null;
    }

    /** Collects one stream's bytes up to the cap; decoded once at the end so split UTF-8 sequences survive. */
    static final class Capture {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private boolean truncated;

        synchronized void write(byte[] payload) {
            write(payload, 0, payload.length);
        }

        synchronized void write(byte[] b, int off, int len) {
            int room = MAX_CAPTURE_BYTES - bytes.size();
            if (len > room) {
                truncated = true;
            }
            bytes.write(b, off, Math.max(0, Math.min(room, len)));
        }

        synchronized String text() {
            String s = bytes.toString(StandardCharsets.UTF_8);
            return truncated ? s + TRUNCATED : s;
        }
    }
}
