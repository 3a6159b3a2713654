package dev.devs.sandbox.webcontainer.cdp;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small client of the Chrome DevTools protocol over one browser-level WebSocket (JDK
 * {@code java.net.http}), with Jackson for the messages.
 *
 * <p>Calls carry increasing ids and complete a future when the answer with that id arrives; every
 * blocking call has a timeout. Events are dispatched to subscribers by (session id, method). Pages are
 * reached through flat sessions ({@code Target.attachToTarget} with {@code flatten: true}), so one socket
 * serves the browser and all its pages ({@link CdpSession}).
 *
 * <p>Thread-safe. Event handlers run on the connection's single reader thread, in the order the browser
 * sent the messages; they must be quick and must not block (complete a future, add to a set). When the
 * socket closes (browser exited or was killed) every pending call fails with a {@link CdpException} and
 * {@link #closedFuture()} completes with the reason.
 */
public final class CdpConnection implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CdpConnection.class);
    static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    private static final AtomicInteger CONNECTIONS = new AtomicInteger();

    private final URI url;
    private final ExecutorService executor;
    private final AtomicLong ids = new AtomicLong();
    private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
    private final Map<String, List<Consumer<JsonNode>>> handlers = new ConcurrentHashMap<>();
    private final Map<String, CdpSession> sessions = new ConcurrentHashMap<>();
    private final CompletableFuture<String> closed = new CompletableFuture<>();
    private final AtomicBoolean closing = new AtomicBoolean();
    private final Object sendLock = new Object();
    private CompletableFuture<?> lastSend = CompletableFuture.completedFuture(null);
    private volatile WebSocket socket;

    private record Pending(String method, String sessionId, CompletableFuture<JsonNode> future) { }

    private CdpConnection(URI url, ExecutorService executor) {
        this.url = url;
        this.executor = executor;
    }

    /**
     * Opens the browser-level socket, e.g. {@code ws://127.0.0.1:9222/devtools/browser/<id>}.
     *
     * @throws CdpException when it cannot connect within {@code timeout}
     */
    public static CdpConnection connect(URI url, Duration timeout) throws InterruptedException {
        Objects.requireNonNull(url, "url");
        int n = CONNECTIONS.incrementAndGet();
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "cdp-" + n);
            t.setDaemon(true);
            return t;
        });
        CdpConnection connection = new CdpConnection(url, executor);
        HttpClient client = HttpClient.newBuilder().executor(executor).connectTimeout(timeout).build();
        try {
            connection.socket = client.newWebSocketBuilder()
                    .connectTimeout(timeout)
                    .buildAsync(url, connection.new Listener())
                    .get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            return connection;
        } catch (ExecutionException | TimeoutException e) {
            executor.shutdownNow();
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            throw new CdpException("connect", null, "cannot open the DevTools socket " + url + ": " + cause, cause);
        } catch (InterruptedException e) {
            executor.shutdownNow();
            throw e;
        }
    }

    /** The socket's address. */
    public URI url() {
        return url;
    }

    /** Whether the socket is open (neither side closed it). */
    public boolean isOpen() {
        return !closed.isDone();
    }

    /** Completes, with the reason, once the socket is closed by either side. */
    public CompletableFuture<String> closedFuture() {
        return closed;
    }

    /**
     * Sends a call and returns the future of its {@code result}. The future fails with a {@link CdpException}
     * when the browser answers with an error or the connection closes first; it never times out by itself
     * (see {@link #await}).
     *
     * @param params    a Jackson-serialisable object (Map, record, ObjectNode) or null
     * @param sessionId the flat session to address, or null for the browser
     */
    public CompletableFuture<JsonNode> send(String method, Object params, String sessionId) {
        Objects.requireNonNull(method, "method");
        long id = ids.incrementAndGet();
        CompletableFuture<JsonNode> future = new CompletableFuture<>();
        if (!isOpen()) {
            future.completeExceptionally(new CdpException(method, "DevTools connection is closed (" + closed.getNow("") + ")"));
            return future;
        }
        ObjectNode message = JSON.createObjectNode();
        message.put("id", id);
        message.put("method", method);
        message.set("params", params == null ? JSON.createObjectNode() : JSON.valueToTree(params));
        if (sessionId != null) {
            message.put("sessionId", sessionId);
        }
        String text;
        try {
            text = JSON.writeValueAsString(message);
        } catch (JsonProcessingException e) {
            future.completeExceptionally(new CdpException(method, null, "cannot encode params of " + method + ": " + e, e));
            return future;
        }
        pending.put(id, new Pending(method, sessionId, future));
        // The JDK WebSocket allows one outstanding send at a time: chain them.
        synchronized (sendLock) {
            lastSend = lastSend.handle((r, e) -> null)
                    .thenCompose(x -> socket.sendText(text, true))
                    .whenComplete((ws, e) -> {
                        if (e != null) {
                            Pending p = pending.remove(id);
                            if (p != null) {
                                p.future.completeExceptionally(new CdpException(method, null, "sending " + method + " failed: " + e, e));
                            }
                        }
                    });
        }
        // A caller that gives up (timeout) cancels; forget the id so the map does not grow.
        future.whenComplete((r, e) -> pending.remove(id));
        return future;
    }

    /** Sends a browser-level call and waits for its result. */
    public JsonNode call(String method, Object params, Duration timeout) throws InterruptedException {
        return await(method, send(method, params, null), timeout);
    }

    /**
     * Waits for a call's future.
     *
     * @throws CdpException the call failed, or no answer came within {@code timeout} (the future is then cancelled)
     */
    public static JsonNode await(String method, CompletableFuture<JsonNode> future, Duration timeout) throws InterruptedException {
        try {
            return future.get(Math.max(0, timeout.toNanos()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            future.cancel(false);
            throw new CdpException(method, null, method + " got no answer within " + timeout, e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof CdpException c) {
                throw new CdpException(c.method(), c.code(), c.getMessage(), c);
            }
            throw new CdpException(method, null, method + " failed: " + e.getCause(), e.getCause());
        }
    }

    /**
     * Subscribes to an event, e.g. {@code Network.loadingFailed}, of one session (or of the browser when
     * {@code sessionId} is null). Closing the returned handle unsubscribes. The handler gets the event's
     * {@code params}.
     */
    public AutoCloseable on(String method, String sessionId, Consumer<JsonNode> handler) {
        Objects.requireNonNull(handler, "handler");
        String key = key(sessionId, method);
        List<Consumer<JsonNode>> list = handlers.computeIfAbsent(key, k -> new CopyOnWriteArrayList<>());
        list.add(handler);
        return () -> list.remove(handler);
    }

    /** Like {@link #on(String, String, Consumer)}, with the params bound to a typed record. */
    public <T> AutoCloseable on(String method, String sessionId, Class<T> type, Consumer<T> handler) {
        Objects.requireNonNull(type, "type");
        return on(method, sessionId, params -> handler.accept(JSON.convertValue(params, type)));
    }

    // ---- Target domain, typed --------------------------------------------------------------------------

    /** {@code Target.createBrowserContext}: a fresh, isolated context (own cookies, storage, cache). */
    public String createBrowserContext(Duration timeout) throws InterruptedException {
        return call("Target.createBrowserContext", Map.of("disposeOnDetach", true), timeout).path("browserContextId").asText();
    }

    /** {@code Target.disposeBrowserContext}: closes every page of the context and forgets it. */
    public void disposeBrowserContext(String browserContextId, Duration timeout) throws InterruptedException {
        call("Target.disposeBrowserContext", Map.of("browserContextId", browserContextId), timeout);
    }

    /** {@code Target.getBrowserContexts}: the ids of the contexts created over DevTools and still open. */
    public List<String> browserContextIds(Duration timeout) throws InterruptedException {
        List<String> ids = new ArrayList<>();
        call("Target.getBrowserContexts", null, timeout).path("browserContextIds").forEach(n -> ids.add(n.asText()));
        return ids;
    }

    /** {@code Target.getTargets}: every target (pages, iframes, workers) the browser knows. */
    public List<TargetInfo> targets(Duration timeout) throws InterruptedException {
        List<TargetInfo> out = new ArrayList<>();
        for (JsonNode n : call("Target.getTargets", null, timeout).path("targetInfos")) {
            out.add(JSON.convertValue(n, TargetInfo.class));
        }
        return out;
    }

    /** {@code Target.createTarget}: a new page in the given context; returns its target id. */
    public String createTarget(String url, String browserContextId, Duration timeout) throws InterruptedException {
        return call("Target.createTarget", Map.of("url", url, "browserContextId", browserContextId), timeout)
                .path("targetId").asText();
    }

    /** {@code Target.attachToTarget} with {@code flatten: true}: a session on this same socket. */
    public CdpSession attach(String targetId, Duration timeout) throws InterruptedException {
        String sessionId = call("Target.attachToTarget", Map.of("targetId", targetId, "flatten", true), timeout)
                .path("sessionId").asText();
        CdpSession session = new CdpSession(this, sessionId, targetId);
        sessions.put(sessionId, session);
        return session;
    }

    /** A target as {@code Target.getTargets} describes it. */
    @com.fasterxml.jackson.annotation.JsonIgnoreProperties(ignoreUnknown = true)
    public record TargetInfo(String targetId, String type, String url, String browserContextId, boolean attached) { }

    /** Closes the socket; pending calls fail. Idempotent. The browser keeps running. */
    @Override
    public void close() {
        if (!closing.compareAndSet(false, true)) {
            return;
        }
        WebSocket ws = socket;
        if (ws != null && !ws.isOutputClosed()) {
            try {
                ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(1, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                log.debug("closing DevTools socket {} did not complete cleanly: {}", url, e.toString());
            }
            ws.abort();
        }
        onClosed("closed by this client");
        executor.shutdown();
    }

    void forget(CdpSession session) {
        sessions.remove(session.id());
        // No event comes for a detached session any more: drop its subscriptions (the session's own crash
        // watchers are never unsubscribed), or a long-lived browser collects a few per sandbox forever.
        String prefix = key(session.id(), "");
        handlers.keySet().removeIf(k -> k.startsWith(prefix));
    }

    /** How many (session, event) keys have subscribers; tests check that sessions leave none behind. */
    int subscribedKeys() {
        return handlers.size();
    }

    private void onClosed(String reason) {
        if (!closed.complete(reason)) {
            return;
        }
        for (Long id : List.copyOf(pending.keySet())) {
            Pending p = pending.remove(id);
            if (p != null) {
                p.future.completeExceptionally(new CdpException(p.method, "DevTools connection closed before " + p.method
                        + " was answered (" + reason + ")"));
            }
        }
        for (CdpSession s : List.copyOf(sessions.values())) {
            s.markDetached("browser connection closed (" + reason + ")");
        }
    }

    private void dispatch(String text) {
        JsonNode message;
        try {
            message = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            log.warn("ignoring a DevTools message that is not JSON: {}", e.toString());
            return;
        }
        JsonNode sessionNode = message.get("sessionId");
        String sessionId = sessionNode == null ? null : sessionNode.asText();
        if (message.has("id")) {
            Pending p = pending.remove(message.get("id").asLong());
            if (p == null) {
                return; // answer to a call its caller gave up on
            }
            JsonNode error = message.get("error");
            if (error != null) {
                p.future.completeExceptionally(new CdpException(p.method, error.path("code").asInt(),
                        p.method + " failed: " + error.path("message").asText() + describeData(error), null));
            } else {
                p.future.complete(message.path("result"));
            }
            return;
        }
        String method = message.path("method").asText(null);
        if (method == null) {
            return;
        }
        JsonNode params = message.path("params");
        if (sessionId == null && "Target.detachedFromTarget".equals(method)) {
            CdpSession s = sessions.get(params.path("sessionId").asText());
            if (s != null) {
                s.markDetached("target detached");
            }
        }
        List<Consumer<JsonNode>> list = handlers.get(key(sessionId, method));
        if (list != null) {
            for (Consumer<JsonNode> h : list) {
                try {
                    h.accept(params);
                } catch (RuntimeException e) {
                    log.warn("DevTools event handler for {} threw; ignored", method, e);
                }
            }
        }
    }

    /** Fails the pending calls of a session that went away; called by {@link CdpSession}. */
    void failPending(String sessionId, String reason) {
        for (Map.Entry<Long, Pending> e : List.copyOf(pending.entrySet())) {
            Pending p = e.getValue();
            if (sessionId.equals(p.sessionId) && pending.remove(e.getKey(), p)) {
                p.future.completeExceptionally(new CdpException(p.method, p.method + " cannot be answered: " + reason));
            }
        }
    }

    private static String describeData(JsonNode error) {
        JsonNode data = error.get("data");
        return data == null ? "" : " (" + data.asText() + ")";
    }

    private static String key(String sessionId, String method) {
        return (sessionId == null ? "" : sessionId) + '|' + method;
    }

    private final class Listener implements WebSocket.Listener {
        private final StringBuilder buffer = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            buffer.append(data);
            if (last) {
                String text = buffer.toString();
                buffer.setLength(0);
                dispatch(text);
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            onClosed("socket closed by the browser, status " + statusCode + (reason.isEmpty() ? "" : " " + reason));
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            onClosed("socket error: " + error);
        }
    }
}
