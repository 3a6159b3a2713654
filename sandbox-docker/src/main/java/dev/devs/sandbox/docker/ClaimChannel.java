package dev.devs.sandbox.docker;

import com.github.dockerjava.api.model.Frame;
import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A shell kept waiting inside an idle pooled sandbox so that a claim's files are written at hand-out without
 * starting a process: an exec started when the sandbox became idle (off every claim's path) reads one line per file
 * from its stdin, {@code PATH CONTENT} with the contents as {@code printf} octal escapes, writes it with shell
 * built-ins and answers {@code ok PATH}. A write then costs one round trip on an open stream instead of an exec
 * (which spawns a process through the runtime: tens of milliseconds). It runs as the sandbox's user, before any
 * claimant code; {@link #close()} ends it, and the claim's sandbox keeps no process of ours.
 *
 * <p>Only small files with plain paths go this way ({@link #accepts}); anything else takes the exec path.
 */
final class ClaimChannel implements AutoCloseable {

    private static final String AGENT = "while read -r p c && [ \"$p\" != '--exit' ]; do d=${p%/*};"
            + " if { [ -z \"$d\" ] || [ -d \"$d\" ] || mkdir -p \"$d\"; } && printf \"$c\" > \"$p\"; then echo \"ok $p\";"
            + " else echo \"fail $p\"; fi; done";
    /** Largest file sent over the channel: 4 bytes of escape each keep a line well within the shell's means. */
    static final int MAX_FILE_BYTES = 16 * 1024;

    private final PipedOutputStream toAgent;
    private final LinkedBlockingQueue<String> answers = new LinkedBlockingQueue<>();
    private final StringBuilder partial = new StringBuilder();

    private ClaimChannel(PipedOutputStream toAgent) {
        this.toAgent = toAgent;
    }

    /** Starts the agent shell in {@code containerId}; null if it could not be started (the exec path stays). */
    static ClaimChannel open(EngineCalls engine, String containerId) throws InterruptedException {
        try {
            PipedOutputStream out = new PipedOutputStream();
            PipedInputStream in = new PipedInputStream(out, 256 * 1024);
            String execId = engine.request(c -> c.execCreateCmd(containerId).withCmd("sh", "-c", AGENT)
                    .withAttachStdin(true).withAttachStdout(true).withAttachStderr(true).exec().getId());
            ClaimChannel[] self = new ClaimChannel[1];
            StreamCallback<Frame> stream = new StreamCallback<>(frame -> self[0].received(frame.getPayload()));
            self[0] = new ClaimChannel(out);
            engine.streams().execStartCmd(execId).withDetach(false).withTty(false).withStdIn(in).exec(stream);
            return self[0];
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** Whether these files can go over the channel: small, with paths free of white space and backslashes. */
    static boolean accepts(Map<String, byte[]> files) {
        return files.entrySet().stream().allMatch(f -> f.getValue().length <= MAX_FILE_BYTES
                && f.getKey().chars().noneMatch(ch -> Character.isWhitespace(ch) || ch == '\\' || ch == '\'' || ch < 32));
    }

    /**
     * Writes each file (absolute paths) and waits for the agent's answer to each.
     *
     * @return false if the agent did not answer {@code ok} for every file within {@code timeout} (the caller then
     *         writes them through the exec path, which reports the reason)
     */
    boolean write(Map<String, byte[]> files, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            StringBuilder lines = new StringBuilder();
            files.forEach((path, content) -> lines.append(path).append(' ').append(ContainerHandle.octal(content)).append('\n'));
            toAgent.write(lines.toString().getBytes(StandardCharsets.UTF_8));
            toAgent.flush();
        } catch (IOException e) {
            return false;
        }
        for (String path : files.keySet()) {
            String answer = answers.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (!("ok " + path).equals(answer)) {
                return false;
            }
        }
        return true;
    }

    private void received(byte[] payload) {
        synchronized (partial) {
            partial.append(new String(payload, StandardCharsets.UTF_8));
            int nl;
            while ((nl = partial.indexOf("\n")) >= 0) {
                answers.add(partial.substring(0, nl));
                partial.delete(0, nl + 1);
            }
        }
    }

    /**
     * Ends the agent: it reads {@code --exit} and returns, the engine then ends the exec's stream. The stream is not
     * cut from here: docker-java's stdin pump, which has just sent {@code --exit} and read the end of our pipe, would
     * fail on a socket closed under it. An agent that never answers dies with its container. Idempotent.
     */
    @Override
    public void close() {
        try {
            toAgent.write("--exit\n".getBytes(StandardCharsets.UTF_8));
            toAgent.close();
        } catch (IOException e) {
            // The agent or its stream is gone already.
        }
    }
}
