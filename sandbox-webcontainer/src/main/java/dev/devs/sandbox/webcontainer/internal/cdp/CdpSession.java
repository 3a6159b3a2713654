package dev.devs.sandbox.webcontainer.internal.cdp;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * A flat DevTools session on one page target, sharing its {@link CdpConnection}'s socket. Thread-safe.
 *
 * <p>The session ends when its target goes away (context disposed, page crashed, browser gone);
 * {@link #detachedFuture()} then completes with the reason and every pending call of the session fails.
 */
public final class CdpSession {

    private final CdpConnection connection;
    private final String id;
    private final String targetId;
    private final CompletableFuture<String> detached = new CompletableFuture<>();

    CdpSession(CdpConnection connection, String id, String targetId) {
        this.connection = connection;
        this.id = id;
        this.targetId = targetId;
        // Needs Inspector.enable; a crashed renderer leaves the target attached but useless.
        connection.on("Inspector.targetCrashed", id, params -> markDetached("page crashed"));
        connection.on("Inspector.detached", id, params -> markDetached("inspector detached: " + params.path("reason").asText()));
    }

    /** The session id ({@code sessionId} on the wire). */
    String id() {
        return id;
    }

    /** The page target this session is attached to; for a page it is also its main frame's id. */
    public String targetId() {
        return targetId;
    }

    /** Whether the target is still there as far as the protocol said. */
    public boolean isAttached() {
        return !detached.isDone();
    }

    /** Completes, with the reason, when the target crashed or went away. */
    public CompletableFuture<String> detachedFuture() {
        return detached;
    }

    /** Sends a call on this session: the future of its result, failing when the page or the connection goes first. */
    public CompletableFuture<JsonNode> send(String method, Object params) {
        return connection.send(method, params, id);
    }

    /** Sends a call on this session and waits for its result. */
    public JsonNode call(String method, Object params, Duration timeout) throws InterruptedException {
        return CdpConnection.await(method, send(method, params), timeout);
    }

    /** Subscribes to an event of this session; closing the handle unsubscribes. */
    public AutoCloseable on(String method, Consumer<JsonNode> handler) {
        return connection.on(method, id, handler);
    }

    /** Like {@link #on(String, Consumer)}, with the params bound to a typed record. */
    public <T> AutoCloseable on(String method, Class<T> type, Consumer<T> handler) {
        return connection.on(method, id, type, handler);
    }

    /**
     * {@code Page.navigate}; returns once the navigation committed (not loaded).
     *
     * @throws CdpException when the browser reports a navigation error (its {@code errorText})
     */
    public void navigate(String url, Duration timeout) throws InterruptedException {
        JsonNode result = call("Page.navigate", Map.of("url", url), timeout);
        String error = result.path("errorText").asText("");
        if (!error.isEmpty()) {
            throw new CdpException("Page.navigate", null, "navigation to " + url + " failed: " + error, null);
        }
    }

    /**
     * {@code Runtime.evaluate} with {@code awaitPromise} and {@code returnByValue}, asynchronously.
     * A JavaScript exception or rejected promise is an {@link EvaluateResult} with {@link EvaluateResult#exception()}.
     */
    public CompletableFuture<EvaluateResult> evaluate(String expression) {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("expression", expression);
        params.put("awaitPromise", true);
        params.put("returnByValue", true);
        return send("Runtime.evaluate", params).thenApply(EvaluateResult::of);
    }

    void markDetached(String reason) {
        if (detached.complete(reason)) {
            connection.detached(this, reason);
        }
    }

    /**
     * What {@code Runtime.evaluate} gave back.
     *
     * @param value     the result, by value (JSON null for undefined)
     * @param exception the thrown error's description (message and stack), or null when it did not throw
     */
    public record EvaluateResult(JsonNode value, String exception) {

        static EvaluateResult of(JsonNode result) {
            JsonNode details = result.get("exceptionDetails");
            if (details != null) {
                JsonNode ex = details.path("exception");
                String text = ex.path("description").asText("");
                if (text.isEmpty()) {
                    text = ex.path("value").asText("");
                }
                if (text.isEmpty()) {
                    text = details.path("text").asText("JavaScript exception");
                }
                return new EvaluateResult(null, text);
            }
            return new EvaluateResult(result.path("result").path("value"), null);
        }

        /** Whether the expression threw (or its promise rejected). */
        public boolean threw() {
            return exception != null;
        }
    }
}
