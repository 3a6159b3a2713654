package dev.devs.sandbox.webcontainer;

import dev.devs.sandbox.internal.BoundedCalls;
import dev.devs.sandbox.spi.StartContext;
import dev.devs.sandbox.webcontainer.internal.Waits;
import dev.devs.sandbox.webcontainer.internal.cdp.CdpException;
import dev.devs.sandbox.webcontainer.internal.cdp.CdpSession.EvaluateResult;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * {@code WebContainer.boot()} in a loaded harness. The client never gives up on an unreachable runtime, so the boot
 * races the browser's own network failure for the runtime's iframe ({@link RuntimeWatch}), the page's death and a
 * timer: the {@linkplain WebContainerDriver.Builder#bootTimeout boot timeout}, or what is left of the startup
 * timeout when that is shorter.
 */
final class BootRace {

    private final String endpoint;
    private final String apiKey;
    private final Duration bootTimeout;
    private final StartFailures failures;

    BootRace(DriverConfig config, StartFailures failures) {
        this.endpoint = config.endpoint();
        this.apiKey = config.apiKey();
        this.bootTimeout = config.bootTimeout();
        this.failures = failures;
    }

    /**
     * Boots and returns the runtime the {@code /headless} response declared ({@value WebContainerDriver#RUNTIME_HEADER}),
     * or null. The boot is cancelled on every way out but success.
     *
     * @throws dev.devs.sandbox.SandboxTimeoutException            the timer won
     * @throws dev.devs.sandbox.SandboxRuntimeUnavailableException the runtime page could not load
     * @throws CdpException                                        the page or the browser went away
     */
    String boot(Harness harness, StartContext ctx) throws InterruptedException {
        SandboxPage page = harness.page();
        try (RuntimeWatch watch = new RuntimeWatch(page.session())) {
            long t0 = System.nanoTime();
            Map<String, Object> args = new LinkedHashMap<>();
            args.put("endpoint", endpoint);
            args.put("apiKey", apiKey);
            CompletableFuture<EvaluateResult> boot = harness.callAsync("boot", args);
            try {
                Duration remaining = ctx.remaining();
                boolean startupBound = remaining.compareTo(bootTimeout) < 0;
                try {
                    BoundedCalls.await(CompletableFuture.anyOf(boot, watch.failure(), page.session().detachedFuture(),
                            page.connection().closedFuture()), startupBound ? remaining : bootTimeout);
                } catch (TimeoutException e) {
                    throw failures.bootTimedOut(ctx, startupBound, bootTimeout, t0, watch);
                } catch (ExecutionException e) {
                    // anyOf only fails when the evaluation itself failed (page or socket gone): handled below.
                }
                if (watch.failure().isDone()) {
                    throw failures.runtimeUnavailable(ctx.sandboxId(), watch.failure().getNow(""), t0);
                }
                if (!boot.isDone()) {
                    throw new CdpException("Runtime.evaluate", "the page went away during boot: " + page.goneReason());
                }
                EvaluateResult result = result(boot);
                if (result.threw()) {
                    throw failures.bootThrew(ctx.sandboxId(), result.exception());
                }
                return watch.runtime();
            } finally {
                boot.cancel(false); // no-op once it is done
            }
        }
    }

    private static EvaluateResult result(CompletableFuture<EvaluateResult> done) {
        try {
            return done.getNow(null);
        } catch (CompletionException e) {
            throw e.getCause() instanceof CdpException c ? c
                    : new CdpException("Runtime.evaluate", "boot evaluation failed: " + e.getCause());
        }
    }
}
