package dev.devs.sandbox.docker;

import dev.devs.sandbox.ExecSpec;
import dev.devs.sandbox.SandboxExecException;
import dev.devs.sandbox.SandboxProcess;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A process started through the sandbox's {@link ExecChannel}: its output comes apart through bounded
 * {@link BytePipe}s, and the agent sends more only as the host reads (credits), so one unread process stalls neither
 * the host's heap nor the other commands of the channel. Stdin is bounded the same way. Signals go to its process
 * group, so they reach its children.
 */
final class ChannelProcess implements SandboxProcess, ContainerSurface.Member, ExecChannel.Listener {

    /** Signal numbers on Linux for the names {@link DockerProcess} accepts. */
    private static final Map<String, Integer> SIGNALS = Map.ofEntries(Map.entry("HUP", 1), Map.entry("INT", 2),
            Map.entry("QUIT", 3), Map.entry("KILL", 9), Map.entry("USR1", 10), Map.entry("USR2", 12), Map.entry("PIPE", 13),
            Map.entry("ALRM", 14), Map.entry("TERM", 15), Map.entry("CONT", 18), Map.entry("STOP", 19), Map.entry("TSTP", 20),
            Map.entry("TTIN", 21), Map.entry("TTOU", 22), Map.entry("WINCH", 28));
    /** Credits go back in batches of this much, or when the host has read all there was. */
    private static final int CREDIT_BATCH = 32 * 1024;

    private final ContainerSurface surface;
    private final ExecChannel channel;
    private final Output out = new Output();
    private final Output err = new Output();
    private final Stdin stdin = new Stdin();
    private final CountDownLatch ended = new CountDownLatch(1);
    private volatile int id;
    private volatile Integer exitCode;
    private volatile String failure;

    private ChannelProcess(ContainerSurface surface, ExecChannel channel) {
        this.surface = surface;
        this.channel = channel;
    }

    /** Starts the spec's command through the channel; it runs (or has failed to) when this returns. */
    static ChannelProcess start(ContainerSurface surface, ExecChannel channel, ExecSpec spec) throws IOException {
        ChannelProcess p = new ChannelProcess(surface, channel);
        p.id = channel.start(spec.command(), spec.env(), spec.workingDir(), spec.redirectErrorStream(), true, false, p);
        surface.register(p);
        return p;
    }

    @Override
    public String id() {
        return "channel-" + id;
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
        return stdin;
    }

    @Override
    public boolean isAlive() {
        return ended.getCount() > 0 && !surface.isEnded();
    }

    @Override
    public boolean waitFor(Duration timeout) throws InterruptedException {
        if (surface.isEnded() && exitCode == null) {
            throw surface.endedBefore(id());
        }
        boolean done = ended.await(Math.max(0, timeout.toNanos()), TimeUnit.NANOSECONDS);
        if (done && exitCode == null) {
            throw failure();
        }
        return done;
    }

    @Override
    public int exitValue() {
        Integer code = exitCode;
        if (code != null) {
            return code;
        }
        if (ended.getCount() == 0 || surface.isEnded()) {
            throw failure();
        }
        throw new IllegalStateException("process " + id() + " in sandbox " + surface.sandboxId() + " is still running");
    }

    private SandboxExecException failure() {
        return failure == null ? surface.endedBefore(id())
                : new SandboxExecException(surface.sandboxId(), "process " + id() + " in sandbox " + surface.sandboxId()
                + " ended without an exit code: " + failure);
    }

    @Override
    public void signal(String signal) {
        String name = signal == null ? "" : signal.startsWith("SIG") ? signal.substring(3) : signal;
        Integer number = SIGNALS.get(name);
        if (number == null) {
            throw new IllegalArgumentException("signal '" + signal + "' is not one of " + new java.util.TreeSet<>(SIGNALS.keySet()));
        }
        send(number);
    }

    @Override
    public void destroyForcibly() {
        send(9);
    }

    private void send(int signal) {
        if (exitCode != null || surface.isEnded()) {
            return;
        }
        try {
            channel.signal(id, signal);
        } catch (IOException e) {
            // The channel has ended: its agent killed every process group it had started.
        }
    }

    @Override
    public void close() {
        out.close();
        err.close();
        try {
            stdin.close();
        } catch (IOException ignored) {
            // The channel has ended.
        }
        surface.unregister(this);
    }

    @Override
    public void sandboxEnded() {
        failure = failure == null ? "its sandbox has ended" : failure;
        out.pipe.closeWriter(null);
        err.pipe.closeWriter(null);
        ended.countDown();
        stdin.release();
    }

    // --- frames from the channel's reader thread ---

    @Override
    public void started(long pid) {
    }

    @Override
    public void output(int stream, byte[] b, int off, int len) throws InterruptedException {
        Output to = stream == 2 ? err : out;
        if (len == 0) {
            to.pipe.closeWriter(null);
        } else {
            to.pipe.write(b, off, len); // dropped once the host has closed the stream
            if (to.closed) {
                credit(len); // so let the command go on (a credit too many is harmless: the agent floors at zero)
            }
        }
    }

    @Override
    public void ended(int status) {
        exitCode = status;
        ended.countDown();
    }

    @Override
    public void exited(int status) {
        exitCode = status;
        out.pipe.closeWriter(null);
        err.pipe.closeWriter(null);
        ended.countDown();
        stdin.release();
        surface.unregister(this);
    }

    @Override
    public void failed(String why) {
        failure = why;
        out.pipe.closeWriter(new IOException(why));
        err.pipe.closeWriter(null);
        ended.countDown();
        stdin.release();
    }

    @Override
    public void stdinTaken(int bytes) {
        stdin.taken(bytes);
    }

    private void credit(int bytes) {
        try {
            channel.credit(id, bytes);
        } catch (IOException e) {
            // The channel has ended; so has the command.
        }
    }

    /** One output stream: the host reads from a bounded pipe and hands credits back as it goes. */
    private final class Output extends InputStream {
        final BytePipe pipe = new BytePipe();
        volatile boolean closed;
        private int uncredited;

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = pipe.read(b, off, len);
            if (n > 0) {
                synchronized (this) {
                    uncredited += n;
                    if (uncredited >= CREDIT_BATCH || pipe.available() == 0) {
                        credit(uncredited);
                        uncredited = 0;
                    }
                }
            }
            return n;
        }

        @Override
        public int available() {
            return pipe.available();
        }

        @Override
        public void close() {
            closed = true;
            int held;
            synchronized (this) {
                held = uncredited + pipe.available();
                uncredited = 0;
            }
            pipe.close();
            if (held > 0) {
                credit(held);
            }
        }
    }

    /** Stdin: at most {@link ExecChannel#WINDOW} bytes on their way to the command at once. */
    private final class Stdin extends OutputStream {
        private long inFlight;
        private boolean closed;
        private boolean released;

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            while (len > 0) {
                int n = Math.min(len, ExecChannel.STDIN_CHUNK);
                synchronized (this) {
                    if (closed) {
                        throw new IOException("stdin of process " + id() + " is closed");
                    }
                    try {
                        while (inFlight + n > ExecChannel.WINDOW && !released) {
                            wait();
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new java.io.InterruptedIOException("interrupted while writing to process " + id());
                    }
                    if (released) {
                        throw new IOException("process " + id() + " has ended; it takes no more input");
                    }
                    inFlight += n;
                }
                channel.stdin(id, b, off, n);
                off += n;
                len -= n;
            }
        }

        synchronized void taken(int bytes) {
            inFlight -= bytes;
            notifyAll();
        }

        synchronized void release() {
            released = true;
            notifyAll();
        }

        @Override
        public void close() throws IOException {
            synchronized (this) {
                if (closed) {
                    return;
                }
                closed = true;
                if (released) {
                    return;
                }
            }
            channel.closeStdin(id);
        }
    }
}
