package dev.devs.sandbox;

import dev.devs.sandbox.internal.DaemonThreads;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The driver-independent half of streaming exec and background processes: copying a spec's stdin in, output out,
 * and the timeout. Drivers only start a process and hand out its streams. Copies run on the library's daemon
 * threads, in chunks of at most {@link #CHUNK} bytes, so memory stays bounded whatever a command prints.
 */
final class StreamingExec {

    static final int CHUNK = 64 * 1024;
    /** How long after a process ended its output may still take to be copied (a child may hold it a moment). */
    private static final Duration DRAIN_GRACE = Duration.ofSeconds(5);

    private static final ExecutorService COPIES = Executors.newCachedThreadPool(DaemonThreads.named("sandbox-stream"));
    private static final ScheduledExecutorService TIMERS =
            Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("sandbox-process-timeout"));

    private StreamingExec() {
    }

    /** Copies output until both streams end, waits for the exit code; on timeout kills the process tree and throws. */
    static int run(Sandbox sandbox, ExecSpec spec, SandboxProcess p, OutputStream stdout, OutputStream stderr,
                   Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (p) {
            Future<Long> out = COPIES.submit(() -> copy(p.stdout(), stdout));
            Future<Long> err = COPIES.submit(() -> copy(p.stderr(), stderr));
            boolean ended;
            try {
                ended = p.waitFor(Duration.ofNanos(deadline - System.nanoTime()));
            } catch (InterruptedException e) {
                p.destroyForcibly();
                throw e;
            }
            if (!ended) {
                p.destroyForcibly();
                out.cancel(true);
                err.cancel(true);
                throw new SandboxExecTimeoutException(sandbox.id(), timeout, "command " + spec.command() + " in sandbox "
                        + sandbox.id() + " did not finish within " + timeout + "; it was killed with its children");
            }
            long drainUntil = Math.max(deadline, System.nanoTime() + DRAIN_GRACE.toNanos());
            await(sandbox, spec, out, drainUntil);
            await(sandbox, spec, err, drainUntil);
            return p.exitValue();
        }
    }

    private static void await(Sandbox sandbox, ExecSpec spec, Future<Long> copy, long until) throws InterruptedException {
        try {
            copy.get(Math.max(0, until - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            // The command ended but something it started still holds its output open: stop copying, as a shell does
            // not wait for a background child either.
            copy.cancel(true);
        } catch (ExecutionException e) {
            throw new SandboxExecException(sandbox.id(), "copying the output of " + spec.command() + " in sandbox "
                    + sandbox.id() + " failed: " + e.getCause(), e.getCause());
        }
    }

    /** Feeds a process just started its stdin and, for a background one with a timeout, its end; returns it. */
    static SandboxProcess started(Sandbox sandbox, ExecSpec spec, SandboxProcess p, boolean background) {
        feedStdin(sandbox, spec, p, background);
        if (background && spec.timeout() != null) {
            killAfter(p, spec.timeout());
        }
        return p;
    }

    /** Feeds the spec's stdin, then closes it; with none, closes stdin at once unless the process is a background one. */
    static void feedStdin(Sandbox sandbox, ExecSpec spec, SandboxProcess p, boolean background) {
        if (!spec.hasStdin()) {
            if (!background) {
                closeQuietly(p.stdin());
            }
            return;
        }
        InputStream source = spec.stdinBytes() != null ? new java.io.ByteArrayInputStream(spec.stdinBytes()) : spec.stdinStream();
        COPIES.submit(() -> {
            try (OutputStream in = p.stdin()) {
                copy(source, in);
            } catch (IOException e) {
                // The process closed its stdin or ended before reading it all, as a host process may.
                org.slf4j.LoggerFactory.getLogger(StreamingExec.class)
                        .debug("stdin of {} in sandbox {} was not fully written: {}", spec.command(), sandbox.id(), e.toString());
            }
            return null;
        });
    }

    /** Kills a background process with its children once {@code timeout} has passed, if it still runs. */
    static void killAfter(SandboxProcess p, Duration timeout) {
        TIMERS.schedule(() -> {
            try {
                if (p.isAlive()) {
                    p.destroyForcibly();
                }
            } catch (RuntimeException e) {
                org.slf4j.LoggerFactory.getLogger(StreamingExec.class).debug("could not end {} at its timeout: {}", p.id(), e.toString());
            }
        }, timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** The streaming exec a buffered one is built on. */
    interface Streaming {
        int exec(ExecSpec spec, OutputStream stdout, OutputStream stderr);
    }

    /** Runs {@code spec} through {@code streaming}, keeping each stream up to {@link Sandbox#MAX_CAPTURE_BYTES}. */
    static ExecResult collect(ExecSpec spec, Streaming streaming) {
        long t0 = System.nanoTime();
        Capture out = new Capture();
        Capture err = new Capture();
        int code = streaming.exec(spec, out, err);
        return new ExecResult(code, out.text(), err.text(), Duration.ofNanos(System.nanoTime() - t0));
    }

    /** One stream's bytes up to {@link Sandbox#MAX_CAPTURE_BYTES}; decoded once at the end so split UTF-8 survives. */
    private static final class Capture extends OutputStream {
        private final java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        private long dropped;

        @Override
        public synchronized void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            int room = Math.max(0, Sandbox.MAX_CAPTURE_BYTES - bytes.size());
            int kept = Math.min(room, len);
            bytes.write(b, off, kept);
            dropped += len - kept;
        }

        synchronized String text() {
            String s = bytes.toString(java.nio.charset.StandardCharsets.UTF_8);
            return dropped == 0 ? s : s + "\n[output cut at 16 MiB: " + dropped + " more bytes]";
        }
    }

    static long copy(InputStream from, OutputStream to) throws IOException {
        byte[] buf = new byte[CHUNK];
        long total = 0;
        int n;
        while ((n = from.read(buf)) >= 0) {
            if (n > 0) {
                to.write(buf, 0, n);
                to.flush();
                total += n;
            }
        }
        return total;
    }

    private static void closeQuietly(OutputStream s) {
        try {
            s.close();
        } catch (IOException | RuntimeException ignored) {
            // Already closed or the process has gone: it has no stdin to end.
        }
    }
}
