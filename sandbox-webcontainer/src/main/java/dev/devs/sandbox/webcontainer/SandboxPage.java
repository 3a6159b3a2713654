package dev.devs.sandbox.webcontainer;

import dev.devs.sandbox.spi.StartContext;
import dev.devs.sandbox.webcontainer.internal.cdp.CdpConnection;
import dev.devs.sandbox.webcontainer.internal.cdp.CdpException;
import dev.devs.sandbox.webcontainer.internal.cdp.CdpSession;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One sandbox's own browser context, with one page in it and a DevTools session on that page: a page can boot only
 * one WebContainer, and a context keeps the sandboxes' storage apart. The page is hidden (no window; see
 * {@link CdpConnection#createTarget}), so disposing closes the page before the context.
 */
final class SandboxPage {

    private static final Logger log = LoggerFactory.getLogger(SandboxPage.class);
    private static final Duration CLEANUP_TIMEOUT = Duration.ofSeconds(5);

    private final CdpConnection cdp;
    private final String contextId;
    private final CdpSession session;

    private SandboxPage(CdpConnection cdp, String contextId, CdpSession session) {
        this.cdp = cdp;
        this.contextId = contextId;
        this.session = session;
    }

    /**
     * Creates the context (its network limited to the harness and the runtime origins) and the page, attaches to it and enables the domains the start watches. On any failure
     * (interrupt included) the context is disposed before the exception leaves, or, when its id had not arrived
     * yet, as soon as it does.
     */
    static SandboxPage open(CdpConnection cdp, StartContext ctx, String phase, NetworkNone network) throws InterruptedException {
        Duration budget = CallBudget.of(ctx, phase);
        // network "none": the context's own proxy refuses everything but the harness and the runtime (NetworkNone).
        CompletableFuture<String> created = cdp.createBrowserContext(network.proxyServer(), network.bypassList());
        String contextId;
        try {
            // Waits on a copy: giving up on the answer must not cancel the one future that can still dispose it.
            contextId = CdpConnection.await("Target.createBrowserContext", created.copy(), budget);
        } catch (InterruptedException | RuntimeException e) {
            created.thenAccept(id -> cdp.disposeBrowserContext(id));
            throw e;
        }
        CompletableFuture<String> page = cdp.createTarget("about:blank", contextId);
        String targetId;
        try {
            targetId = CdpConnection.await("Target.createTarget", page.copy(), CallBudget.of(ctx, phase));
        } catch (InterruptedException | RuntimeException e) {
            page.thenAccept(id -> cdp.closeTarget(id)); // a hidden page outlives its context: close it if it comes
            disposeQuietly(cdp, contextId, null, null);
            throw e;
        }
        CdpSession session = null;
        try {
            session = cdp.attach(targetId, CallBudget.of(ctx, phase));
            // Sent together: one round trip instead of three. Network for the runtime iframe's fate,
            // Page for the load event, Inspector for a crashed renderer.
            Duration enable = CallBudget.of(ctx, phase);
            CdpConnection.await("enable", CompletableFuture.allOf(session.send("Network.enable", null),
                            session.send("Page.enable", null), session.send("Inspector.enable", null)), enable,
                    "enabling the page's DevTools domains got no answer within " + enable);
            return new SandboxPage(cdp, contextId, session);
        } catch (InterruptedException | RuntimeException | Error e) {
            disposeQuietly(cdp, contextId, targetId, session == null ? null : session.detachedFuture());
            throw e;
        }
    }

    CdpSession session() {
        return session;
    }

    CdpConnection connection() {
        return cdp;
    }

    String contextId() {
        return contextId;
    }

    /** Whether the page and the browser connection are both still there. */
    boolean isAlive() {
        return session.isAttached() && cdp.isOpen();
    }

    /** Why the page is gone (crashed, detached, browser connection closed); meaningful once {@link #isAlive()} is false. */
    String goneReason() {
        return session.detachedFuture().getNow(cdp.closedFuture().getNow("browser connection closed"));
    }

    /**
     * Closes the page and disposes the context, waiting at most {@code timeout}; nothing when the browser connection is
     * already closed (its pages and contexts died with it).
     *
     * @return whether the browser was still there to dispose it
     * @throws CdpException the browser, still connected, did not dispose it
     */
    boolean dispose(Duration timeout) throws InterruptedException {
        if (!cdp.isOpen()) {
            return false;
        }
        try {
            CdpConnection.await("Target.disposeBrowserContext", closeAndDispose(cdp, contextId, session.targetId(), session.detachedFuture()), timeout);
            return true;
        } catch (CdpException e) {
            if (cdp.isOpen()) {
                throw e;
            }
            return false; // the browser died meanwhile: its contexts died with it
        }
    }

    /** Closes the page and disposes the context after a failure: bounded, even on an interrupted thread (whose interrupt stays set). */
    void disposeQuietly() {
        disposeQuietly(cdp, contextId, session.targetId(), session.detachedFuture());
    }

    private static void disposeQuietly(CdpConnection cdp, String contextId, String targetId, CompletableFuture<?> detached) {
        if (!cdp.isOpen()) {
            return;
        }
        try {
            CdpConnection.awaitUninterruptibly("Target.disposeBrowserContext", closeAndDispose(cdp, contextId, targetId, detached), CLEANUP_TIMEOUT);
        } catch (CdpException e) {
            log.warn("disposing browser context {} failed: {}", contextId, e.getMessage());
        }
    }

    /**
     * Sends the page's close and then the context's disposal, without a round trip between them: disposing a context
     * does not close its hidden page ({@link CdpConnection#createTarget}). Completes once the context is disposed and,
     * when {@code detached} is given, the page's session has detached: a hidden page goes a moment after its close
     * is answered. A page already gone (crashed, closed) fails its close, which changes nothing.
     */
    private static CompletableFuture<?> closeAndDispose(CdpConnection cdp, String contextId, String targetId,
            CompletableFuture<?> detached) {
        CompletableFuture<?> closed = targetId == null ? CompletableFuture.completedFuture(null) : cdp.closeTarget(targetId)
                .handle((r, e) -> {
                    if (e != null) {
                        log.debug("closing page {} before its context: {}", targetId, e.getMessage());
                    }
                    return null;
                });
        CompletableFuture<?> gone = detached == null ? closed : closed.thenCompose(x -> detached);
        return CompletableFuture.allOf(gone, cdp.disposeBrowserContext(contextId));
    }
}
