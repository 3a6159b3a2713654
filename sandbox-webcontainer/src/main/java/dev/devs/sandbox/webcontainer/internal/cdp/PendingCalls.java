package dev.devs.sandbox.webcontainer.internal.cdp;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;

/**
 * The calls sent on one DevTools socket and not answered yet, by id: each is answered once, by the browser, by a
 * failure of its session or connection, or forgotten when its caller gives up. Thread-safe.
 */
final class PendingCalls {

    private record Pending(String method, String sessionId, CompletableFuture<JsonNode> future) { }

    private final AtomicLong ids = new AtomicLong();
    private final Map<Long, Pending> pending = new ConcurrentHashMap<>();

    long nextId() {
        return ids.incrementAndGet();
    }

    /** Registers a call; it is forgotten once its future completes (answered, failed or cancelled by its caller). */
    void add(long id, String method, String sessionId, CompletableFuture<JsonNode> future) {
        pending.put(id, new Pending(method, sessionId, future));
        future.whenComplete((r, e) -> pending.remove(id));
    }

    /** Completes the call {@code id} with the browser's answer; an answer to a call its caller gave up on is dropped. */
    void answer(long id, JsonNode message) {
        Pending p = pending.remove(id);
        if (p == null) {
            return;
        }
        JsonNode error = message.get("error");
        if (error == null) {
            p.future.complete(message.path("result"));
            return;
        }
        JsonNode data = error.get("data");
        p.future.completeExceptionally(new CdpException(p.method, error.path("code").asInt(),
                p.method + " failed: " + error.path("message").asText() + (data == null ? "" : " (" + data.asText() + ")"), null));
    }

    /** Fails one call (its message could not be sent). */
    void fail(long id, String reason, Throwable cause) {
        Pending p = pending.remove(id);
        if (p != null) {
            p.future.completeExceptionally(new CdpException(p.method, null, reason, cause));
        }
    }

    /** Fails the calls of one session ({@code null}: of every session and the browser), each with {@code message(method)}. */
    void failAll(String sessionId, UnaryOperator<String> message) {
        for (Map.Entry<Long, Pending> e : List.copyOf(pending.entrySet())) {
            Pending p = e.getValue();
            if ((sessionId == null || sessionId.equals(p.sessionId)) && pending.remove(e.getKey(), p)) {
                p.future.completeExceptionally(new CdpException(p.method, message.apply(p.method)));
            }
        }
    }
}
