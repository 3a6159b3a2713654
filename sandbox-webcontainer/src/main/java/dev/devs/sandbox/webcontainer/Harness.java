package dev.devs.sandbox.webcontainer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.devs.sandbox.spi.StartContext;
import dev.devs.sandbox.webcontainer.internal.cdp.CdpConnection;
import dev.devs.sandbox.webcontainer.internal.cdp.CdpException;
import dev.devs.sandbox.webcontainer.internal.cdp.CdpSession.EvaluateResult;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The driver's harness page ({@code harness.html}, served by {@link HarnessServer}) in one {@link SandboxPage}: loads
 * it, then calls the functions it exposes as {@code globalThis.devsHarness} ({@code boot}, {@code roundTrip},
 * {@code exec}, {@code kill}, {@code teardown}) with JSON arguments.
 */
final class Harness {

    private static final Logger log = LoggerFactory.getLogger(Harness.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final SandboxPage page;

    Harness(SandboxPage page) {
        this.page = page;
    }

    SandboxPage page() {
        return page;
    }

    /** Navigates the page to the harness and waits for its load event (the client modules are loaded by then). */
    void load(URI url, StartContext ctx, String phase) throws InterruptedException {
        CompletableFuture<JsonNode> loaded = new CompletableFuture<>();
        AutoCloseable sub = page.session().on("Page.loadEventFired", loaded::complete);
        try {
            page.session().navigate(url.toString(), CallBudget.of(ctx, phase));
            CdpConnection.await("Page.loadEventFired", loaded, CallBudget.of(ctx, phase));
        } finally {
            closeQuietly(sub);
        }
    }

    /** Calls {@code devsHarness.<function>(args)} and returns the future of its (awaited) result. */
    CompletableFuture<EvaluateResult> callAsync(String function, Map<String, ?> args) {
        String expression;
        try {
            expression = "globalThis.devsHarness." + function + "(" + JSON.writeValueAsString(args) + ")";
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot encode arguments of " + function + ": " + e, e);
        }
        return page.session().evaluate(expression);
    }

    /**
     * Calls a harness function and waits at most {@code timeout} for its result.
     *
     * @throws CdpException the call failed or did not finish in time (then it is cancelled)
     */
    EvaluateResult call(String function, Map<String, ?> args, Duration timeout) throws InterruptedException {
        return CdpConnection.await("devsHarness." + function + "()", callAsync(function, args), timeout,
                "devsHarness." + function + "() did not finish within " + timeout);
    }

    /**
     * Like {@link #call}, for clean-up on a thread that may be interrupted: the interrupt does not cut it short and
     * stays set. A failure is logged, not thrown.
     */
    void callQuietly(String function, Map<String, ?> args, Duration timeout) {
        try {
            EvaluateResult r = CdpConnection.awaitUninterruptibly("devsHarness." + function + "()", callAsync(function, args), timeout);
            if (r.threw()) {
                log.debug("devsHarness.{}() threw: {}", function, r.exception());
            }
        } catch (CdpException e) {
            log.debug("devsHarness.{}() failed: {}", function, e.getMessage());
        }
    }

    /** Closes an event subscription; a failure only means it was already gone. */
    static void closeQuietly(AutoCloseable subscription) {
        try {
            subscription.close();
        } catch (Exception e) {
            log.debug("unsubscribing failed: {}", e.toString());
        }
    }
}
