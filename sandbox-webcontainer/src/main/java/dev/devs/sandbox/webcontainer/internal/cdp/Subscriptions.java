package dev.devs.sandbox.webcontainer.internal.cdp;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Event handlers of one DevTools socket, by (session id, method). Thread-safe. */
final class Subscriptions {

    private static final Logger log = LoggerFactory.getLogger(Subscriptions.class);

    private final Map<String, List<Consumer<JsonNode>>> handlers = new ConcurrentHashMap<>();

    /** Adds a handler; closing the returned handle removes it. */
    AutoCloseable add(String sessionId, String method, Consumer<JsonNode> handler) {
        List<Consumer<JsonNode>> list = handlers.computeIfAbsent(key(sessionId, method), k -> new CopyOnWriteArrayList<>());
        list.add(handler);
        return () -> list.remove(handler);
    }

    /** Hands an event's params to its handlers, in subscription order; a handler that throws is logged and skipped. */
    void dispatch(String sessionId, String method, JsonNode params) {
        List<Consumer<JsonNode>> list = handlers.get(key(sessionId, method));
        if (list == null) {
            return;
        }
        for (Consumer<JsonNode> h : list) {
            try {
                h.accept(params);
            } catch (RuntimeException e) {
                log.warn("DevTools event handler for {} threw; ignored", method, e);
            }
        }
    }

    /**
     * Drops every handler of a session that went away: no event comes for it any more, and a long-lived browser
     * would otherwise collect a few per sandbox forever (the session's own crash watchers are never unsubscribed).
     */
    void removeSession(String sessionId) {
        String prefix = key(sessionId, "");
        handlers.keySet().removeIf(k -> k.startsWith(prefix));
    }

    /** How many (session, event) keys have handlers. */
    int keys() {
        return handlers.size();
    }

    private static String key(String sessionId, String method) {
        return (sessionId == null ? "" : sessionId) + '|' + method;
    }
}
