package dev.devs.sandbox.docker;

import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.StreamType;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The owning JVM's attachment to one container's stdin, held open for the sandbox's life. While it is open the
 * {@link OwnerWatchdog} in the container keeps its command running; when it closes - {@link #close()}, or the
 * JVM's death, which closes the connection in the kernel - the engine closes the container's stdin (the
 * container is created with {@code StdinOnce}) and the watchdog ends the sandbox.
 *
 * <p>The same connection carries the container's output, from which {@link #awaitStarted} learns that the
 * command was started and {@link #exitStatus()} how it ended; the rest is read and only its last lines kept,
 * so that a chatty command never blocks on it, and a start that fails can say what the command wrote even
 * though the engine removes the container (and its log) as soon as it exits.
 * One connection and two docker-java threads per live sandbox. Thread-safe.
 */
final class OwnerLink implements Closeable {

    /** What happened before {@link #awaitStarted} returned. */
    enum Start { STARTED, EXITED, TIMED_OUT }

    /** A word of the watchdog about a pause or resume it carried out, counted as they come. */
    enum Mark { PAUSED, PAUSE_FAILED, RESUMED, LIFETIME_RESTARTED, LIFETIME_SUSPENDED }

    private final Stdin stdin = new Stdin();
    private final CountDownLatch attached = new CountDownLatch(1);
    private final CountDownLatch started = new CountDownLatch(1);
    private final CountDownLatch ended = new CountDownLatch(1);
    private final Output output = new Output();
    /** How many times each {@link Mark} was seen, guarded by itself. */
    private final long[] marks = new long[Mark.values().length];
    private volatile Closeable stream;
    private volatile Throwable error;
    private volatile boolean closed;

    /** Attaches to the (created, not yet started) container and waits until the engine has accepted it. */
    static OwnerLink attach(EngineCalls engine, String containerId, Duration timeout) throws InterruptedException {
        OwnerLink link = new OwnerLink();
        engine.links().attachContainerCmd(containerId).withStdIn(link.stdin).withStdOut(true).withStdErr(true)
                .withFollowStream(true).exec(link.callback());
        if (!link.attached.await(Math.max(0, timeout.toNanos()), TimeUnit.NANOSECONDS)) {
            link.close();
            throw new IllegalStateException("the engine did not accept the attachment to container " + containerId
                    + " within " + timeout);
        }
        if (link.error != null && link.stream == null) {
            link.close();
            throw link.error instanceof RuntimeException r ? r : new IllegalStateException(link.error);
        }
        return link;
    }

    /** Waits until the watchdog said the command started, the container's output ended (it exited), or the timeout. */
    Start awaitStarted(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + Math.max(0, timeout.toNanos());
        while (true) {
            if (started.getCount() == 0) {
                return Start.STARTED;
            }
            if (ended.getCount() == 0) {
                return started.getCount() == 0 ? Start.STARTED : Start.EXITED;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return Start.TIMED_OUT;
            }
            // Either latch may fire; poll both in short slices rather than hold a thread per latch.
            started.await(Math.min(left, 5_000_000L), TimeUnit.NANOSECONDS);
        }
    }

    /** Whether the link has ended (closed here, or the container's output ended). */
    boolean isEnded() {
        return ended.getCount() == 0;
    }

    /** Waits at most {@code timeout} for the container's output to end; true if it did. */
    boolean awaitEnd(Duration timeout) throws InterruptedException {
        return ended.await(Math.max(0, timeout.toNanos()), TimeUnit.NANOSECONDS);
    }

    /** The command's exit status as the watchdog reported it, or null if it did not (killed with it, or still running). */
    Integer exitStatus() {
        return output.exitStatus;
    }

    /** How many times the watchdog has said {@code mark} so far; read before asking, to await the next one. */
    long marks(Mark mark) {
        synchronized (marks) {
            return marks[mark.ordinal()];
        }
    }

    /**
     * Waits until the watchdog has said one of {@code wanted} more times than {@code seen} (what {@link #marks} said
     * before asking), the link ended, or the timeout passed.
     *
     * @return the mark that came, or null when none did
     */
    Mark awaitMark(Map<Mark, Long> seen, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + Math.max(0, timeout.toNanos());
        synchronized (marks) {
            while (true) {
                for (Map.Entry<Mark, Long> e : seen.entrySet()) {
                    if (marks[e.getKey().ordinal()] > e.getValue()) {
                        return e.getKey();
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0 || isEnded()) {
                    return null;
                }
                // Woken by each mark; the slice bounds the wait for the link's end, which does not notify.
                TimeUnit.NANOSECONDS.timedWait(marks, Math.min(left, 50_000_000L));
            }
        }
    }

    private void mark(Mark mark) {
        synchronized (marks) {
            marks[mark.ordinal()]++;
            marks.notifyAll();
        }
    }

    /** "Last N output lines: ..." of what the container wrote (stdout and stderr), for an error message. */
    String outputTail() {
        return output.tail();
    }

    /** Closes the container's stdin and the connection: the watchdog ends the sandbox. Idempotent. */
    @Override
    public void close() {
        closed = true;
        stdin.close();
        Closeable s = stream;
        if (s != null) {
            try {
                s.close();
            } catch (IOException | RuntimeException ignored) {
                // The connection is going away either way.
            }
        }
        attached.countDown();
        ended.countDown();
    }

    private ResultCallback<Frame> callback() {
        return new ResultCallback<>() {
            @Override
            public void onStart(Closeable s) {
                stream = s;
                attached.countDown();
                if (closed) {
                    OwnerLink.this.close();
                }
            }

            @Override
            public void onNext(Frame frame) {
                if (frame.getStreamType() != StreamType.STDOUT && frame.getStreamType() != StreamType.STDERR
                        && frame.getStreamType() != StreamType.RAW) {
                    return;
                }
                output.append(new String(frame.getPayload(), StandardCharsets.UTF_8));
            }

            @Override
            public void onError(Throwable t) {
                if (!closed) {
                    error = t;
                }
                attached.countDown();
                ended.countDown();
            }

            @Override
            public void onComplete() {
                attached.countDown();
                ended.countDown();
            }

            @Override
            public void close() {
                OwnerLink.this.close();
            }
        };
    }

    /**
     * What the container wrote: scanned line by line for the watchdog's markers, of which only the last
     * {@link ContainerDiagnostics#LOG_TAIL_LINES} lines are kept. docker-java calls it on one stream thread.
     */
    private final class Output {
        private final StringBuilder partial = new StringBuilder();
        private final Deque<String> lines = new ArrayDeque<>();
        private volatile Integer exitStatus;

        synchronized void append(String text) {
            partial.append(text);
            int nl;
            while ((nl = partial.indexOf("\n")) >= 0) {
                line(partial.substring(0, nl));
                partial.delete(0, nl + 1);
            }
            if (partial.length() > 8192) {
                line(partial.toString()); // a line without end: keep its text, do not grow without bound
                partial.setLength(0);
            }
        }

        private void line(String line) {
            if (line.startsWith(OwnerWatchdog.STARTED_MARKER)) {
                started.countDown();
                return;
            }
            if (line.equals(OwnerWatchdog.PAUSED_MARKER)) {
                mark(Mark.PAUSED);
                return;
            }
            if (line.equals(OwnerWatchdog.PAUSE_FAILED_MARKER)) {
                mark(Mark.PAUSE_FAILED);
                return;
            }
            if (line.equals(OwnerWatchdog.LIFETIME_SUSPENDED_MARKER)) {
                mark(Mark.LIFETIME_SUSPENDED);
                return;
            }
            if (line.equals(OwnerWatchdog.LIFETIME_RESTARTED_MARKER)) {
                mark(Mark.LIFETIME_RESTARTED);
                return;
            }
            if (line.equals(OwnerWatchdog.RESUMED_MARKER)) {
                mark(Mark.RESUMED);
                return;
            }
            if (line.startsWith(OwnerWatchdog.EXIT_MARKER)) {
                try {
                    exitStatus = Integer.parseInt(line.substring(OwnerWatchdog.EXIT_MARKER.length()).strip());
                    return;
                } catch (NumberFormatException e) {
                    // The command's own text that happens to start so: keep it as output.
                }
            }
            lines.addLast(line);
            if (lines.size() > ContainerDiagnostics.LOG_TAIL_LINES) {
                lines.removeFirst();
            }
        }

        synchronized String tail() {
            List<String> all = new ArrayList<>(lines);
            if (partial.length() > 0) {
                all.add(partial.toString());
            }
            all.removeIf(String::isBlank);
            if (all.isEmpty()) {
                return "It wrote nothing.";
            }
            return "Last " + (all.size() == 1 ? "output line" : all.size() + " output lines") + ":\n    " + String.join("\n    ", all);
        }
    }

    /** A stdin that sends nothing and ends only when closed: its end is the owner's "I am gone". */
    private static final class Stdin extends InputStream {
        private final CountDownLatch closed = new CountDownLatch(1);

        @Override
        public int read() throws IOException {
            try {
                closed.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
            return -1;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            return read();
        }

        @Override
        public void close() {
            closed.countDown();
        }
    }
}
