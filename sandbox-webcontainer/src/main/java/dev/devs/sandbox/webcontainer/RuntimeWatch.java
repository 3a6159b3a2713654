package dev.devs.sandbox.webcontainer;

import dev.devs.sandbox.webcontainer.internal.cdp.CdpSession;
import dev.devs.sandbox.webcontainer.internal.cdp.Network;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Watches the runtime iframe's document request during a boot: the iframe is the only document the harness page
 * loads after it is itself loaded, so any Document request of a frame other than the main frame is it.
 * {@link #failure()} completes with the browser's own explanation (its {@code net::ERR_...} code, the HTTP status,
 * the blocking policy) when the runtime page cannot load. Its handlers run on the DevTools reader thread.
 */
final class RuntimeWatch implements AutoCloseable {

    private static final Duration STATUS_GRACE = Duration.ofMillis(300);

    private final String mainFrameId;
    private final Set<String> requestIds = ConcurrentHashMap.newKeySet();
    private final CompletableFuture<String> failure = new CompletableFuture<>();
    private final List<AutoCloseable> subscriptions;
    private volatile String url;
    private volatile Network.Response response;
    private volatile int rawStatus;
    private volatile Network.LoadingFailed failed;

    /** Subscribes to the page's network events; {@link #close()} unsubscribes. */
    RuntimeWatch(CdpSession page) {
        this.mainFrameId = page.targetId();
        this.subscriptions = List.of(
                page.on(Network.REQUEST_WILL_BE_SENT, Network.RequestWillBeSent.class, this::onRequest),
                page.on(Network.RESPONSE_RECEIVED, Network.ResponseReceived.class, this::onResponse),
                page.on(Network.RESPONSE_RECEIVED_EXTRA_INFO, Network.ResponseReceivedExtraInfo.class, this::onRawResponse),
                page.on(Network.LOADING_FAILED, Network.LoadingFailed.class, this::onFailed));
    }

    /** Completes with why the runtime page could not load. */
    CompletableFuture<String> failure() {
        return failure;
    }

    private void onRequest(Network.RequestWillBeSent e) {
        if ("Document".equals(e.type()) && !mainFrameId.equals(e.frameId())) {
            requestIds.add(e.requestId());
            url = e.request() == null ? null : e.request().url();
        }
    }

    private void onResponse(Network.ResponseReceived e) {
        if (!requestIds.contains(e.requestId()) || e.response() == null) {
            return;
        }
        response = e.response();
        if (e.response().status() >= 400) {
            failure.complete("loading " + withoutQuery(e.response().url()) + " answered HTTP " + e.response().status() + " "
                    + Objects.toString(e.response().statusText(), "").strip()
                    + ", so it is not a WebContainer runtime endpoint");
        }
    }

    private void onRawResponse(Network.ResponseReceivedExtraInfo e) {
        if (requestIds.contains(e.requestId())) {
            rawStatus = e.statusCode();
            if (failed != null) {
                reportFailure();
            }
        }
    }

    private void onFailed(Network.LoadingFailed e) {
        if (!requestIds.contains(e.requestId())) {
            return;
        }
        failed = e;
        boolean blocked = e.blockedReason() != null && !e.blockedReason().isEmpty();
        if (blocked && rawStatus == 0) {
            // A blocked response's status comes in responseReceivedExtraInfo, which may trail loadingFailed:
            // wait a moment for it, because "HTTP 404" explains more than "blocked" does.
            CompletableFuture.delayedExecutor(STATUS_GRACE.toMillis(), TimeUnit.MILLISECONDS).execute(this::reportFailure);
        } else {
            reportFailure();
        }
    }

    private synchronized void reportFailure() {
        Network.LoadingFailed e = failed;
        if (failure.isDone() || e == null) {
            return;
        }
        StringBuilder sb = new StringBuilder("the browser failed to load ").append(url == null ? "the runtime page" : withoutQuery(url))
                .append(" with ").append(e.errorText());
        int status = rawStatus;
        if (status >= 400) {
            // An error page usually lacks the isolation headers too; the status is the real story.
            sb.append(" after it answered HTTP ").append(status).append(", so it is not a WebContainer runtime endpoint");
        } else if (e.blockedReason() != null && !e.blockedReason().isEmpty()) {
            sb.append(" (blocked: ").append(e.blockedReason())
                    .append("; a runtime page must be served with Cross-Origin-Embedder-Policy: require-corp"
                            + " and Cross-Origin-Resource-Policy: cross-origin)");
        }
        failure.complete(sb.toString());
    }

    /** What the network showed of the runtime page, for a timeout message. */
    String describe(String endpoint) {
        Network.Response r = response;
        if (r != null) {
            return "the runtime page " + withoutQuery(r.url()) + " loaded (HTTP " + r.status() + ") but never answered the client";
        }
        if (url != null) {
            return "the browser requested " + withoutQuery(url) + " but got no response";
        }
        return "the browser never requested " + endpoint + "/headless";
    }

    /** What the runtime page's {@value WebContainerDriver#RUNTIME_HEADER} header declared, or null. */
    String runtime() {
        Network.Response r = response;
        String declared = r == null ? null : r.header(WebContainerDriver.RUNTIME_HEADER);
        return declared == null ? null : declared.strip();
    }

    @Override
    public void close() {
        subscriptions.forEach(Harness::closeQuietly);
    }

    /**
     * The URL without its query: the client puts the API key in the runtime page's query ({@code client_id=...}),
     * and these texts end up in exception messages, logs and reports, where a secret must never appear.
     */
    static String withoutQuery(String url) {
        if (url == null) {
            return null;
        }
        int q = url.indexOf('?');
        int h = url.indexOf('#');
        int cut = q < 0 ? h : (h < 0 ? q : Math.min(q, h));
        return cut < 0 ? url : url.substring(0, cut) + " (query withheld)";
    }
}
