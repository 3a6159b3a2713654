package dev.devs.sandbox.docker;

import dev.devs.sandbox.ExecResult;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A buffered command through the {@link ExecChannel}: output collected as {@link ExecRunner} collects it (capped per
 * stream), stdin sent and closed, the wait bounded. On its timeout the command's process group is killed.
 */
final class ChannelExec implements ExecChannel.Listener {

    /** How long a killed command's group may take to be reported gone. */
    private static final Duration KILL_CONFIRM = Duration.ofSeconds(2);
    private static final int SIGKILL = 9;

    /** The command did not finish in time; {@code killed} says whether its process group was seen to end. */
    static final class TimedOut extends Exception {
        private static final long serialVersionUID = 1L;
        final boolean killed;
        final transient ExecResult partial;

        TimedOut(boolean killed, ExecResult partial) {
            super("timed out", null, false, false);
            this.killed = killed;
            this.partial = partial;
        }
    }

    private final ExecRunner.Capture out = new ExecRunner.Capture();
    private final ExecRunner.Capture err = new ExecRunner.Capture();
    private final CountDownLatch done = new CountDownLatch(1);
    private volatile Integer status;
    private volatile String failure;

    private ChannelExec() {
    }

    /**
     * Runs {@code command} through {@code channel} and waits for it.
     *
     * @throws IOException the channel ended before the command could start or finish (the message says why)
     * @throws TimedOut    it did not finish within {@code timeout}; its process group was killed
     */
    static ExecResult run(ExecChannel channel, List<String> command, Map<String, String> env, String workingDir,
                          byte[] stdin, Duration timeout) throws IOException, TimedOut, InterruptedException {
        long t0 = System.nanoTime();
        ChannelExec e = new ChannelExec();
        int id = channel.start(command, env, workingDir, false, false, stdin == null, e);
        if (stdin != null) {
            channel.stdin(id, stdin, 0, stdin.length);
            channel.closeStdin(id);
        }
        boolean finished;
        try {
            finished = e.done.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException ie) {
            kill(channel, id);
            throw ie;
        }
        if (!finished) {
            kill(channel, id);
            boolean killed = e.done.await(KILL_CONFIRM.toNanos(), TimeUnit.NANOSECONDS);
            channel.forget(id);
            throw new TimedOut(killed, new ExecResult(-1, e.out.text(), e.err.text(), Duration.ofNanos(System.nanoTime() - t0)));
        }
        if (e.status == null) {
            throw new IOException(e.failure);
        }
        return new ExecResult(e.status, e.out.text(), e.err.text(), Duration.ofNanos(System.nanoTime() - t0));
    }

    private static void kill(ExecChannel channel, int id) {
        try {
            channel.signal(id, SIGKILL);
        } catch (IOException ignored) {
            // The channel has ended: its agent killed every command it had started.
        }
    }

    @Override
    public void started(long pid) {
    }

    @Override
    public void output(int stream, byte[] b, int off, int len) {
        if (len > 0) {
            (stream == 2 ? err : out).write(b, off, len);
        }
    }

    @Override
    public void exited(int code) {
        status = code;
        done.countDown();
    }

    @Override
    public void failed(String why) {
        failure = why;
        done.countDown();
    }
}
