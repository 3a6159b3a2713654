package dev.devs.sandbox.docker;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The command channel of one sandbox: a small static program (the agent, {@code src/main/c/devs-channel.c}) running
 * inside the container, started once through one engine exec that stays open for the sandbox's life; commands then
 * start with one frame on that exec's stdin and answer on its stdout, with no engine call and no runtime {@code exec}.
 *
 * <p>Not the owner link's attach stream: the user's main command writes to the same stdout and stderr, so frames
 * could not be told apart from its output. A second exec gives the channel streams of its own.
 *
 * <p>Frames both ways are {@code [type u8][id u32][length u32][payload]} (big-endian), carried in the engine's
 * multiplexed stdout frames. The agent removes its own file once running (a command can start a copy, not replace
 * it), runs each command in a process group of its own, and when this connection ends (the owner left, or
 * {@link #close()}) kills every group it started and exits. One reader thread per channel.
 */
final class ExecChannel implements AutoCloseable {

    /** The agent inside this jar, built for linux/amd64 by the module's build; absent when no C compiler was found. */
    static final String AGENT_RESOURCE = "channel/linux-amd64";
    /** Output the agent sends before it waits for a credit (it may go one chunk over): fits a {@link BytePipe}. */
    static final int WINDOW = 256 * 1024 - 32 * 1024;
    /** Largest command line with its environment: the agent reads frames of up to 1 MiB. */
    static final int MAX_START_BYTES = 512 * 1024;
    /** Largest stdin frame. */
    static final int STDIN_CHUNK = 32 * 1024;
    /**
     * {@code sh -c SCRIPT sh LENGTH}: copies the agent from stdin to a fresh file in /tmp (a tmpfs the driver mounts
     * writable and exec-able in every sandbox), then becomes it. The agent unlinks the file and says hello; nothing
     * else is sent before that hello, so {@code head} cannot read past the agent whatever its buffering.
     */
    private static final String BOOTSTRAP = "umask 077; f=/tmp/.devs-channel-$$;"
            + " head -c \"$1\" > \"$f\" && chmod 700 \"$f\" && exec \"$f\" \"$f\"";
    private static final byte[] AGENT = loadAgent();

    /** What a command's frames are delivered to, on the channel's reader thread; fast, never blocking long. */
    interface Listener {
        void started(long pid);

        /** Output; {@code stream} 1 stdout, 2 stderr. Empty {@code len}: that stream has ended. */
        void output(int stream, byte[] b, int off, int len) throws InterruptedException;

        /** The command's process has ended (its output may still come). */
        default void ended(int status) {
        }

        /** The command is done: it has ended and all its output has been delivered. */
        void exited(int status);

        /** Could not start, or the channel ended before the exit: {@code why} says which. */
        void failed(String why);

        /** The agent has taken {@code bytes} of stdin. */
        default void stdinTaken(int bytes) {
        }
    }

    private final AttachConnection connection;
    private final String sandboxId;
    private final Map<Integer, Listener> commands = new ConcurrentHashMap<>();
    private final AtomicInteger ids = new AtomicInteger();
    private final CountDownLatch hello = new CountDownLatch(1);
    private final CountDownLatch readerDone = new CountDownLatch(1);
    private final ByteArrayOutputStream agentStderr = new ByteArrayOutputStream();
    /** The first bytes of stdout, for the message when no hello came (the engine writes an exec's failure there). */
    private final ByteArrayOutputStream firstOut = new ByteArrayOutputStream();
    private final Object writeLock = new Object();
    private volatile String endedWhy;

    private ExecChannel(AttachConnection connection, String sandboxId) {
        this.connection = connection;
        this.sandboxId = sandboxId;
    }

    /** Why the channel cannot be opened before trying (no agent built for this platform), or null. */
    static String unavailableReason() {
        return AGENT == null ? "no command channel agent in this build (no C compiler found when it was built)" : null;
    }

    /** Thrown when the channel could not be opened; the message says why, for the exec.path.reason attribute. */
    static final class Unavailable extends Exception {
        private static final long serialVersionUID = 1L;

        Unavailable(String why, Throwable cause) {
            super(why, cause, false, false);
        }
    }

    /**
     * Starts the agent in the container through one engine exec and waits for its hello.
     *
     * @throws Unavailable saying why (the exec failed, no {@code /bin/sh} or {@code head}, /tmp not exec-able, another
     *                     machine type, no hello in {@code timeout}); nothing is left running
     */
    static ExecChannel open(EngineCalls engine, String dockerHost, String sandboxId, String containerId, Duration timeout)
            throws Unavailable, InterruptedException {
        String why = unavailableReason();
        if (why != null) {
            throw new Unavailable(why, null);
        }
        String execId;
        AttachConnection c;
        try {
            execId = engine.request(cl -> cl.execCreateCmd(containerId)
                    .withCmd("sh", "-c", BOOTSTRAP, "sh", Integer.toString(AGENT.length))
                    .withAttachStdin(true).withAttachStdout(true).withAttachStderr(true).exec().getId());
            c = AttachConnection.start(dockerHost, execId, false);
        } catch (IOException | RuntimeException e) {
            throw new Unavailable("the engine did not start the channel's exec: " + e.getMessage(), e);
        }
        ExecChannel ch = new ExecChannel(c, sandboxId);
        Thread reader = new Thread(ch::read, "devs-channel-" + sandboxId);
        reader.setDaemon(true);
        reader.start();
        try {
            c.output().write(AGENT);
            if (!ch.hello.await(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                ch.close();
                throw new Unavailable("the channel's agent did not answer within " + timeout, null);
            }
        } catch (IOException e) {
            // The bootstrap ended before taking the agent: the reader says why (the shell's stderr) once the stream ends.
            ch.hello.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
            String ended = ch.endedWhy;
            ch.close();
            throw new Unavailable(ended != null ? ended : "sending the channel's agent failed: " + e, e);
        } catch (InterruptedException e) {
            ch.close();
            throw e;
        }
        if (ch.endedWhy != null) {
            throw new Unavailable(ch.endedWhy, null);
        }
        return ch;
    }

    /** Whether commands can still be started; false once the agent or its connection has ended. */
    boolean isOpen() {
        return endedWhy == null;
    }

    /** Why it ended, or null. */
    String endedWhy() {
        return endedWhy;
    }

    /**
     * Starts a command; its frames go to {@code listener} from now on.
     *
     * @param merge send stderr as stdout
     * @param flow  output waits for {@link #credit} (a stream the host reads at its own pace); without it the agent
     *              sends all (the listener must take it at once, bounded on its side)
     * @param noStdin  the command's stdin is closed at once
     * @return the command's id on this channel
     * @throws IOException the channel has ended
     */
    int start(List<String> argv, Map<String, String> env, String cwd, boolean merge, boolean flow, boolean noStdin,
              Listener listener) throws IOException {
        int id = ids.incrementAndGet();
        ByteArrayOutputStream p = new ByteArrayOutputStream(64);
        p.write((merge ? 1 : 0) | (flow ? 2 : 0) | (noStdin ? 4 : 0));
        writeInt(p, argv.size());
        writeInt(p, env.size());
        writeString(p, cwd == null ? "" : cwd);
        for (String a : argv) {
            writeString(p, a);
        }
        for (Map.Entry<String, String> e : env.entrySet()) {
            writeString(p, e.getKey() + "=" + e.getValue());
        }
        if (p.size() > MAX_START_BYTES) {
            throw new IllegalArgumentException("the command line and environment take " + p.size() + " bytes, more than"
                    + " the channel's " + MAX_START_BYTES);
        }
        commands.put(id, listener);
        try {
            send('S', id, p.toByteArray(), 0, p.size());
        } catch (IOException e) {
            commands.remove(id);
            throw e;
        }
        return id;
    }

    void stdin(int id, byte[] b, int off, int len) throws IOException {
        while (len > 0) {
            int n = Math.min(len, STDIN_CHUNK);
            send('I', id, b, off, n);
            off += n;
            len -= n;
        }
    }

    void closeStdin(int id) throws IOException {
        send('C', id, new byte[0], 0, 0);
    }

    /** Sends {@code signal} (its number) to the command's process group. */
    void signal(int id, int signal) throws IOException {
        send('K', id, int4(signal), 0, 4);
    }

    /** The host has consumed {@code bytes} of the command's output. */
    void credit(int id, int bytes) throws IOException {
        send('A', id, int4(bytes), 0, 4);
    }

    /** Forgets a command whose listener no longer wants frames. */
    void forget(int id) {
        commands.remove(id);
    }

    private void send(char type, int id, byte[] b, int off, int len) throws IOException {
        String why = endedWhy;
        if (why != null) {
            throw new IOException("the command channel of sandbox " + sandboxId + " has ended: " + why);
        }
        byte[] frame = new byte[9 + len];
        frame[0] = (byte) type;
        put(frame, 1, id);
        put(frame, 5, len);
        System.arraycopy(b, off, frame, 9, len);
        synchronized (writeLock) {
            connection.output().write(frame);
        }
    }

    /** The reader thread: the engine's stdout frames carry the agent's frames; its stderr is kept for a failure's message. */
    private void read() {
        String why = "the channel's connection ended";
        try {
            DataInputStream in = new DataInputStream(new BufferedInputStream(new Demux(connection.input()), 64 * 1024));
            byte[] buf = new byte[64 * 1024];
            while (true) {
                int type;
                try {
                    type = in.readUnsignedByte();
                } catch (EOFException e) {
                    break;
                }
                int id = in.readInt();
                int len = in.readInt();
                if (len < 0 || len > 16 * 1024 * 1024) {
                    why = "the channel's agent sent a malformed frame";
                    break;
                }
                byte[] payload = len <= buf.length ? buf : new byte[len];
                in.readFully(payload, 0, len);
                dispatch(type, id, payload, len);
            }
        } catch (IOException e) {
            why = "the channel's connection failed: " + e.getMessage();
        } catch (InterruptedException e) {
            why = "the channel's reader was interrupted";
        } finally {
            String err;
            synchronized (agentStderr) {
                err = agentStderr.toString(StandardCharsets.UTF_8).trim();
            }
            String said;
            synchronized (firstOut) {
                said = firstOut.toString(StandardCharsets.UTF_8).replaceAll("[^\\p{Print}]+", " ").trim();
            }
            end(hello.getCount() > 0 ? "the channel's agent did not start" + (err.isEmpty() ? "" : ": " + err)
                    + (said.isEmpty() ? "" : " (its exec said: " + ContainerDiagnostics.clip(said) + ")") : why);
            readerDone.countDown();
        }
    }

    private void dispatch(int type, int id, byte[] p, int len) throws InterruptedException {
        if (type == 'H') {
            hello.countDown();
            return;
        }
        Listener l = commands.get(id);
        if (l == null) {
            return;
        }
        switch (type) {
            case 'P' -> l.started(getInt(p, 0) & 0xffffffffL);
            case 'O' -> l.output(1, p, 0, len);
            case 'E' -> l.output(2, p, 0, len);
            case 'A' -> l.stdinTaken(getInt(p, 0));
            case 'W' -> l.ended(getInt(p, 0));
            case 'X' -> {
                commands.remove(id);
                l.exited(getInt(p, 0));
            }
            case 'F' -> {
                commands.remove(id);
                l.failed(new String(p, 0, len, StandardCharsets.UTF_8));
            }
            default -> { }
        }
    }

    private void end(String why) {
        if (endedWhy == null) {
            endedWhy = why;
        }
        hello.countDown();
        connection.close();
        for (Integer id : commands.keySet()) {
            Listener l = commands.remove(id);
            if (l != null) {
                l.failed("the command channel of sandbox " + sandboxId + " ended before the command did: " + endedWhy);
            }
        }
    }

    /**
     * Ends the channel: the agent reads end of file and kills every command it started. Idempotent.
     */
    @Override
    public void close() {
        end("the channel was closed");
    }

    /**
     * Ends the channel by closing the agent's stdin only, then waits up to {@code timeout} for the engine to end its
     * stream, which it does once the agent has killed its commands and exited.
     */
    void closeAndAwait(Duration timeout) throws InterruptedException {
        try {
            synchronized (writeLock) {
                connection.output().close();
            }
        } catch (IOException e) {
            // Already gone.
        }
        readerDone.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
        close();
    }

    /** The engine's stdout payloads as one stream; stderr payloads are kept (bounded) for diagnostics. */
    private final class Demux extends InputStream {
        private final InputStream raw;
        private final byte[] head = new byte[8];
        private long left;

        Demux(InputStream raw) {
            this.raw = raw;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            while (left == 0) {
                if (raw.readNBytes(head, 0, 8) < 8) {
                    return -1;
                }
                long n = ((head[4] & 0xffL) << 24) | ((head[5] & 0xff) << 16) | ((head[6] & 0xff) << 8) | (head[7] & 0xff);
                if (head[0] == 2) {
                    byte[] err = raw.readNBytes((int) n);
                    synchronized (agentStderr) {
                        if (agentStderr.size() < 4096) {
                            agentStderr.write(err, 0, Math.min(err.length, 4096));
                        }
                    }
                } else {
                    left = n;
                }
            }
            int r = raw.read(b, off, (int) Math.min(len, left));
            if (r < 0) {
                throw new EOFException("the engine ended the channel's stream inside a frame");
            }
            if (hello.getCount() > 0) {
                synchronized (firstOut) {
                    firstOut.write(b, off, Math.min(r, Math.max(0, 512 - firstOut.size())));
                }
            }
            left -= r;
            return r;
        }
    }

    private static byte[] loadAgent() {
        try (InputStream in = ExecChannel.class.getResourceAsStream(AGENT_RESOURCE)) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            return null;
        }
    }

    private static void writeInt(OutputStream o, int v) {
        try {
            o.write(int4(v));
        } catch (IOException e) {
            throw new IllegalStateException(e); // a ByteArrayOutputStream does not fail
        }
    }

    private static void writeString(ByteArrayOutputStream o, String s) {
        if (s.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("'" + s.replace('\0', '?') + "' contains a NUL character, which no command line can carry");
        }
        o.writeBytes(s.getBytes(StandardCharsets.UTF_8));
        o.write(0);
    }

    private static byte[] int4(int v) {
        byte[] b = new byte[4];
        put(b, 0, v);
        return b;
    }

    private static void put(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
    }

    private static int getInt(byte[] b, int at) {
        return ((b[at] & 0xff) << 24) | ((b[at + 1] & 0xff) << 16) | ((b[at + 2] & 0xff) << 8) | (b[at + 3] & 0xff);
    }
}
