package dev.devs.sandbox.docker;

import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Frame;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What an error message says about a container, as Testcontainers puts it into one exception: its state
 * (exit code, OOM flag, the engine's error) and the last lines of its log. Never throws: a diagnosis that
 * cannot be had says so in its text.
 */
final class ContainerDiagnostics {

    static final int LOG_TAIL_LINES = 20;
    private static final Duration LOG_FETCH_TIMEOUT = Duration.ofSeconds(2);
    private static final int CLIP_CHARS = 2000;
    private static final int CLIP_HEAD = 500;

    private final EngineCalls engine;

    ContainerDiagnostics(EngineCalls engine) {
        this.engine = engine;
    }

    /** "status exited, exit code 3, OOMKilled false" and the engine's error, if any. */
    static String describe(InspectContainerResponse.ContainerState state) {
        StringBuilder s = new StringBuilder("status ").append(state.getStatus())
                .append(", exit code ").append(state.getExitCodeLong())
                .append(", OOMKilled ").append(Boolean.TRUE.equals(state.getOOMKilled()));
        if (state.getError() != null && !state.getError().isBlank()) {
            s.append(", error '").append(state.getError()).append('\'');
        }
        return s.toString();
    }

    /** {@link #describe} of the container as the engine reports it now. */
    String describeNow(String containerId) {
        try {
            return describe(engine.request(c -> c.inspectContainerCmd(containerId).exec().getState()));
        } catch (InterruptedException e) {
            return "state unavailable (interrupted)"; // the interrupt status stays set for the caller
        } catch (RuntimeException e) {
            return "state unavailable (" + EngineErrorClassifier.rootMessage(e) + ")";
        }
    }

    /** "Last 20 log lines:\n  ..." of the container's stdout and stderr. */
    String logTail(String containerId) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        StreamCallback<Frame> stream = new StreamCallback<>(frame -> {
            synchronized (bytes) {
                bytes.writeBytes(frame.getPayload());
            }
        });
        try {
            engine.streams().logContainerCmd(containerId).withStdOut(true).withStdErr(true).withTail(LOG_TAIL_LINES).exec(stream);
            boolean done = stream.await(LOG_FETCH_TIMEOUT);
            stream.close();
            if (!done) {
                return "(its log could not be read within " + LOG_FETCH_TIMEOUT + ")";
            }
            if (stream.error() != null) {
                return "(its log could not be read: " + EngineErrorClassifier.rootMessage(stream.error()) + ")";
            }
        } catch (InterruptedException e) {
            stream.close(); // else the log connection and its reader thread outlive this call
            Thread.currentThread().interrupt();
            return "(reading its log was interrupted)";
        } catch (RuntimeException e) {
            return "(its log could not be read: " + EngineErrorClassifier.rootMessage(e) + ")";
        }
        String text;
        synchronized (bytes) {
            text = bytes.toString(StandardCharsets.UTF_8);
        }
        List<String> lines = new ArrayList<>(Arrays.asList(text.split("\\r?\\n")));
        lines.removeIf(String::isEmpty);
        if (lines.isEmpty()) {
            return "Its log is empty.";
        }
        List<String> tail = lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size());
        return "Last " + (tail.size() == 1 ? "log line" : tail.size() + " log lines") + ":\n    " + String.join("\n    ", tail);
    }

    /**
     * Output for a message: stripped, and at most its first 500 and last 1500 characters. Both ends: a log's last lines
     * say how it ended, an engine's answer says what went wrong first (a runtime's panic is its first line, then a
     * stack trace of thousands of characters).
     */
    static String clip(String s) {
        String t = s.strip();
        return t.length() <= CLIP_CHARS ? t : t.substring(0, CLIP_HEAD) + " ... " + t.substring(t.length() - (CLIP_CHARS - CLIP_HEAD));
    }

    /** The 12-character form the Docker CLI shows. */
    static String shortId(String containerId) {
        return containerId.length() > 12 ? containerId.substring(0, 12) : containerId;
    }
}
