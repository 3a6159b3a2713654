package dev.devs.sandbox.webcontainer.internal.cdp;

import dev.devs.sandbox.internal.BoundedCalls;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.devs.sandbox.internal.DaemonThreads;
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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small client of the Chrome DevTools protocol over one browser-level WebSocket (JDK
 * {@code java.net.http}), with Jackson for the messages.
 *
 * <p>Calls carry increasing ids and complete a future when the answer with that id arrives ({@link PendingCalls});
 * every blocking call has a timeout. Events are dispatched to subscribers by (session id, method)
 * ({@link Subscriptions}). Pages are reached through flat sessions ({@code Target.attachToTarget} with
 * {@code flatten: true}), so one socket serves the browser and all its pages ({@link CdpSession}).
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
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(1);

    private final URI url;
    private final ExecutorService executor;
    private final PendingCalls pending = new PendingCalls();
    private final Subscriptions subscriptions = new Subscriptions();
    private final Map<String, CdpSession> sessions = new ConcurrentHashMap<>();
    private final CompletableFuture<String> closed = new CompletableFuture<>();
    private final AtomicBoolean closing = new AtomicBoolean();
    private final Object sendLock = new Object();
    private CompletableFuture<?> lastSend = CompletableFuture.completedFuture(null);
    private volatile WebSocket socket;

    private CdpConnection(URI url, ExecutorService executor) {
        this.url = url;
        this.executor = executor;
    }

    /**
     * Opens the browser-level socket, e.g. {@code ws://127.0.0.1:9222/devtools/browser/<id>}.
     *
     * @throws CdpException         when it cannot connect within {@code timeout}
     * @throws InterruptedException when the calling thread is interrupted; nothing is left open
     */
    public static CdpConnection connect(URI url, Duration timeout) throws InterruptedException {
        Objects.requireNonNull(url, "url");
        ExecutorService executor = Executors.newSingleThreadExecutor(DaemonThreads.named("cdp-" + CONNECTIONS.incrementAndGet()));
        CdpConnection connection = new CdpConnection(url, executor);
        HttpClient client = HttpClient.newBuilder().executor(executor).connectTimeout(timeout).build();
        try {
            connection.socket = BoundedCalls.await(client.newWebSocketBuilder().connectTimeout(timeout)
                    .buildAsync(url, connection.new Listener()), timeout);
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
     * (see {@link #await}). Cancelling it forgets the call.
     *
     * @param params    a Jackson-serialisable object (Map, record, ObjectNode) or null
     * @param sessionId the flat session to address, or null for the browser
     */
    CompletableFuture<JsonNode> send(String method, Object params, String sessionId) {
        Objects.requireNonNull(method, "method");
        long id = pending.nextId();
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
        pending.add(id, method, sessionId, future);
        // The JDK WebSocket allows one outstanding send at a time: chain them.
        synchronized (sendLock) {
            lastSend = lastSend.handle((r, e) -> null)
                    .thenCompose(x -> socket.sendText(text, true))
                    .whenComplete((ws, e) -> {
                        if (e != null) {
                            pending.fail(id, "sending " + method + " failed: " + e, e);
                        }
                    });
        }
        return future;
    }

    /** Sends a browser-level call and waits for its result. */
    JsonNode call(String method, Object params, Duration timeout) throws InterruptedException {
        return await(method, send(method, params, null), timeout);
    }

    /**
     * Waits for a call's future, at most {@code timeout}; the future is cancelled when the wait ends without its
     * result (timeout or interrupt).
     *
     * @throws CdpException         the call failed, or no answer came within {@code timeout}
     * @throws InterruptedException the waiting thread was interrupted (its interrupt is the caller's to handle)
     */
    public static <T> T await(String method, CompletableFuture<T> future, Duration timeout) throws InterruptedException {
        return await(method, future, timeout, method + " got no answer within " + timeout);
    }

    /** Like {@link #await(String, CompletableFuture, Duration)}, with the message a timeout fails with. */
    public static <T> T await(String method, CompletableFuture<T> future, Duration timeout, String timeoutMessage)
            throws InterruptedException {
        try {
            return BoundedCalls.await(future, timeout);
        } catch (TimeoutException e) {
            throw new CdpException(method, null, timeoutMessage, e);
        } catch (ExecutionException e) {
            throw failure(method, e);
        }
    }

    /**
     * Like {@link #await(String, CompletableFuture, Duration)} for clean-up that must run on an interrupted thread:
     * an interrupt does not end the wait (still bounded by {@code timeout}) and is set again on the thread after it.
     */
    public static <T> T awaitUninterruptibly(String method, CompletableFuture<T> future, Duration timeout) {
        try {
            return BoundedCalls.awaitUninterruptibly(future, timeout);
        } catch (TimeoutException e) {
            throw new CdpException(method, null, method + " got no answer within " + timeout, e);
        } catch (ExecutionException e) {
            throw failure(method, e);
        }
    }

    private static CdpException failure(String method, ExecutionException e) {
        if (e.getCause() instanceof CdpException c) {
            return new CdpException(c.method(), c.code(), c.getMessage(), c);
        }
        return new CdpException(method, null, method + " failed: " + e.getCause(), e.getCause());
    }

    /**
     * Subscribes to an event, e.g. {@code Network.loadingFailed}, of one session (or of the browser when
     * {@code sessionId} is null). Closing the returned handle unsubscribes. The handler gets the event's
     * {@code params}.
     */
    AutoCloseable on(String method, String sessionId, Consumer<JsonNode> handler) {
        Objects.requireNonNull(handler, "handler");
        return subscriptions.add(sessionId, method, handler);
    }

    /** Like {@link #on(String, String, Consumer)}, with the params bound to a typed record. */
    <T> AutoCloseable on(String method, String sessionId, Class<T> type, Consumer<T> handler) {
        Objects.requireNonNull(type, "type");
        return on(method, sessionId, params -> handler.accept(JSON.convertValue(params, type)));
    }

    // ---- Target domain, typed --------------------------------------------------------------------------

    /** {@code Target.createBrowserContext}, sent: the future of a fresh, isolated context's id (own cookies, storage, cache). */
    public CompletableFuture<String> createBrowserContext() {
        return send("Target.createBrowserContext", Map.of("disposeOnDetach", true), null)
                .thenApply(result -> result.path("browserContextId").asText());
    }

    /**
     * {@code Target.createBrowserContext} with the context's own proxy settings, sent: every request of the
     * context's pages, frames and workers goes through {@code proxyServer} unless {@code proxyBypassList} (Chromium's
     * bypass-rule syntax) names its origin.
     */
    public CompletableFuture<String> createBrowserContext(String proxyServer, String proxyBypassList) {
        return send("Target.createBrowserContext", Map.of("disposeOnDetach", true, "proxyServer", proxyServer,
                "proxyBypassList", proxyBypassList), null)
                .thenApply(result -> result.path("browserContextId").asText());
    }

    /** {@code Target.createBrowserContext}, waited for. */
    public String createBrowserContext(Duration timeout) throws InterruptedException {
        return await("Target.createBrowserContext", createBrowserContext(), timeout);
    }

    /** {@code Target.disposeBrowserContext}, sent: closes every page of the context and forgets it. */
    public CompletableFuture<JsonNode> disposeBrowserContext(String browserContextId) {
        return send("Target.disposeBrowserContext", Map.of("browserContextId", browserContextId), null);
    }

    /** {@code Target.disposeBrowserContext}, waited for. */
    public void disposeBrowserContext(String browserContextId, Duration timeout) throws InterruptedException {
        await("Target.disposeBrowserContext", disposeBrowserContext(browserContextId), timeout);
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

    /**
     * {@code Target.createTarget}, sent: the future of a new page's target id, a hidden page (no tab, no window) in the
     * given context. Its document is {@code visible} and its timers are not throttled. Disposing its context does not
     * close a hidden page: {@link #closeTarget} it first. It lives at most as long as this connection.
     */
    public CompletableFuture<String> createTarget(String url, String browserContextId) {
        // Hidden, because a visible page in a fresh context makes Chromium build a browser window for it: 50-100 ms
        // on its UI thread, which relays every DevTools answer, so every other sandbox's calls waited that long
        // (a pool's refill held back the claim it replaced). A hidden one takes 5-10 ms there
        // (docs/decisions/0007-pool-refill-after-the-claim-and-hidden-pages.md).
        return send("Target.createTarget", Map.of("url", url, "browserContextId", browserContextId, "hidden", true,
                "background", true), null).thenApply(result -> result.path("targetId").asText());
    }

    /** {@link #createTarget(String, String)}, waited for. */
    public String createTarget(String url, String browserContextId, Duration timeout) throws InterruptedException {
        return await("Target.createTarget", createTarget(url, browserContextId), timeout);
    }

    /** {@code Target.closeTarget}, sent: closes a page (its session detaches); fails when the target is already gone. */
    public CompletableFuture<JsonNode> closeTarget(String targetId) {
        return send("Target.closeTarget", Map.of("targetId", targetId), null);
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
    @JsonIgnoreProperties(ignoreUnknown = true)
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
                BoundedCalls.awaitUninterruptibly(ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye"), CLOSE_TIMEOUT);
            } catch (ExecutionException | TimeoutException e) {
                log.debug("closing DevTools socket {} did not complete cleanly: {}", url, e.toString());
            }
            ws.abort();
        }
        onClosed("closed by this client");
        executor.shutdown();
    }

    /** A session whose target went away: its pending calls fail and its subscriptions go. */
    void detached(CdpSession session, String reason) {
        pending.failAll(session.id(), method -> method + " cannot be answered: " + reason);
        sessions.remove(session.id());
        subscriptions.removeSession(session.id());
    }

    /** How many (session, event) keys have subscribers; tests check that sessions leave none behind. */
    int subscribedKeys() {
        return subscriptions.keys();
    }

    private void onClosed(String reason) {
        if (!closed.complete(reason)) {
            return;
        }
        pending.failAll(null, method -> "DevTools connection closed before " + method + " was answered (" + reason + ")");
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
        if (message.has("id")) {
            pending.answer(message.get("id").asLong(), message);
            return;
        }
        String method = message.path("method").asText(null);
        if (method == null) {
            return;
        }
        JsonNode sessionNode = message.get("sessionId");
        String sessionId = sessionNode == null ? null : sessionNode.asText();
        JsonNode params = message.path("params");
        if (sessionId == null && "Target.detachedFromTarget".equals(method)) {
            CdpSession s = sessions.get(params.path("sessionId").asText());
            if (s != null) {
                s.markDetached("target detached");
            }
        }
        subscriptions.dispatch(sessionId, method, params);
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
