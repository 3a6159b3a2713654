package dev.devs.sandbox.docker;

import dev.devs.sandbox.internal.BoundedCalls;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.SocketTimeoutException;

/**
 * Classifies what docker-java threw: a failure to reach the engine, a server that does not answer, a server
 * that is not an engine, or an answer the engine gave. {@link EngineFailureTranslator} turns the class into a message.
 */
final class EngineErrorClassifier {

    private static final ObjectMapper JSON = new ObjectMapper();

    private EngineErrorClassifier() {
    }

    private static final String NOT_UPGRADED = "Expected 101 Switching Protocols, got: ";

    /**
     * The status line the engine answered to a stream request (attach) instead of opening the stream, e.g.
     * {@code HTTP/1.1 409 Conflict}, or null if {@code t} is not such an answer. The HTTP client reports only the
     * status line, not the engine's error body; Podman answers an attach so when it cannot prepare the container.
     */
    static String refusedStream(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            String m = c.getMessage();
            int at = m == null ? -1 : m.indexOf(NOT_UPGRADED);
            if (at >= 0) {
                return m.substring(at + NOT_UPGRADED.length()).strip();
            }
            if (c.getCause() == c) {
                break;
            }
        }
        return null;
    }

    /**
     * Whether {@code t} means the engine could not be reached (connect refused, socket missing, connection
     * dropped) rather than that it answered with an error. docker-java wraps transport failures in a plain
     * {@link RuntimeException} around an {@link IOException}; answers are {@link DockerException}s.
     */
    static boolean isUnreachable(Throwable t) {
        if (refusedStream(t) != null) {
            return false; // the engine answered, with a status instead of the stream
        }
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof DockerException) {
                return false;
            }
            if (c instanceof IOException) {
                return true;
            }
            if (c.getCause() == c) {
                break;
            }
        }
        return false;
    }

    /**
     * Whether {@code t} means the server accepted the connection but did not answer in time: the bound of
     * {@link BoundedCalls} passed, or the HTTP client's read timed out (a {@link SocketTimeoutException}, on
     * TCP). A connect timeout is not one, although the HTTP client's {@code ConnectTimeoutException} extends
     * {@link SocketTimeoutException}: that is told apart by name, so as not to compile against the transport's
     * internals.
     */
    static boolean isSilent(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof DockerException) {
                return false;
            }
            if (c instanceof BoundedCalls.TimedOut
                    || (c instanceof SocketTimeoutException && !isConnectTimeout(c))) {
                return true;
            }
            if (c.getCause() == c) {
                break;
            }
        }
        return false;
    }

    private static boolean isConnectTimeout(Throwable t) {
        String m = t.getMessage() == null ? "" : t.getMessage().toLowerCase(java.util.Locale.ROOT);
        return t.getClass().getSimpleName().equals("ConnectTimeoutException") || m.contains("connect timed out");
    }

    /**
     * Whether an HTTP error came from something that is not a Docker engine: the engine always explains an
     * error in a JSON body with a {@code message}; a proxy, firewall or other server at the configured
     * address answers with an empty or foreign body. Treating such a 404 as "image not found" would send
     * the user looking for the wrong problem.
     */
    static boolean isForeignAnswer(DockerException e) {
        String m = e.getMessage() == null ? "" : e.getMessage().trim().replaceFirst("^Status \\d+: ?", "").trim();
        if (!m.startsWith("{")) {
            return true;
        }
        try {
            JsonNode message = JSON.readTree(m).get("message");
            return message == null || !message.isTextual();
        } catch (IOException notJson) {
            return true;
        }
    }

    /**
     * The engine refused an exec because the container is not running: dockerd answers 409 Conflict ("is not
     * running"), Podman's
     * compatible API 500 with "container state improper" (docs/operations/podman.md).
     */
    static boolean isNotRunning(RuntimeException e) {
        if (e instanceof ConflictException) {
            return true;
        }
        // A 409 can also come back as a plain DockerException from the streamed exec start.
        return e instanceof DockerException d && (d.getHttpStatus() == 409
                || engineMessage(d).contains("container state improper") || engineMessage(d).contains("is not running"));
    }

    /**
     * The engine no longer knows the container: dockerd says so with a 404; Podman, when its auto-removal of an
     * exited container races the request, with a 500 "does not exist in database: no such container".
     */
    static boolean isGone(RuntimeException e) {
        return e instanceof NotFoundException
                || e instanceof DockerException d && d.getHttpStatus() != 409 && engineMessage(d).contains("no such container");
    }

    /**
     * Podman before 4.8 reads {@code size=} of a tmpfs volume as an XFS project quota and refuses the volume
     * where there is none (docs/operations/podman.md).
     */
    static boolean cannotCapTmpfsVolume(Throwable t) {
        return rootMessage(t).contains("does not support Project Quota");
    }

    /** Podman 4.3 refuses the {@code uid=}/{@code gid=} options of a tmpfs mount (docs/operations/podman.md). */
    static boolean refusesTmpfsOwner(Throwable t) {
        String m = rootMessage(t); // the engine's JSON body as it came: its quotes may be escaped
        return m.contains("unknown mount option") && (m.contains("uid=") || m.contains("gid="));
    }

    /** The most specific message in the cause chain, for one-line explanations. */
    static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String m = root.getMessage();
        return (m == null || m.isBlank()) ? root.getClass().getSimpleName() : root.getClass().getSimpleName() + ": " + m;
    }

    /** The engine's error message without docker-java's "Status 404: " prefix and JSON wrapping. */
    static String engineMessage(DockerException e) {
        String m = e.getMessage() == null ? "" : e.getMessage().trim();
        m = m.replaceFirst("^Status \\d+: ", "");
        if (m.startsWith("{")) {
            try {
                JsonNode message = JSON.readTree(m).get("message");
                if (message != null && message.isTextual()) {
                    return message.asText().trim();
                }
            } catch (IOException notJson) {
                // Fall through: show the body as it came.
            }
        }
        return m;
    }
}
