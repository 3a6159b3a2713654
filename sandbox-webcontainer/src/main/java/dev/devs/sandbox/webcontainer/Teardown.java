package dev.devs.sandbox.webcontainer;

import dev.devs.sandbox.spi.PhaseRecorder;
import dev.devs.sandbox.SandboxException;
import dev.devs.sandbox.StopOutcome;
import dev.devs.sandbox.webcontainer.internal.cdp.CdpException;
import dev.devs.sandbox.webcontainer.internal.cdp.CdpSession.EvaluateResult;
import java.time.Duration;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stops one WebContainer: {@code teardown()} bounded by the grace period (phase {@code teardown}), then the browser
 * context disposed (phase {@code dispose-context}). STOPPED when the teardown finished in time; KILLED when it
 * failed or timed out, or the page (or browser) had already died.
 */
final class Teardown {

    private static final Logger log = LoggerFactory.getLogger(Teardown.class);
    /** A zero grace period still gets a moment: teardown is a message round trip, not a wait. */
    private static final Duration MIN_TEARDOWN = Duration.ofMillis(100);
    private static final Duration DISPOSE_TIMEOUT = Duration.ofSeconds(5);

    private final String sandboxId;
    private final Harness harness;

    Teardown(String sandboxId, Harness harness) {
        this.sandboxId = sandboxId;
        this.harness = harness;
    }

    /**
     * @throws SandboxException     the browser, still running, did not dispose the context
     * @throws InterruptedException the caller was interrupted during the teardown; the context was disposed anyway
     */
    StopOutcome stop(Duration gracePeriod, PhaseRecorder phases) throws InterruptedException {
        SandboxPage page = harness.page();
        StopOutcome outcome = page.isAlive()
                ? phases.timed(WebContainerDriver.PHASE_TEARDOWN, () -> teardown(gracePeriod))
                : diedBefore(page);
        if (page.connection().isOpen()) {
            boolean disposed = phases.timed(WebContainerDriver.PHASE_DISPOSE_CONTEXT, () -> dispose(page));
            if (!disposed) {
                outcome = StopOutcome.KILLED; // the browser died meanwhile: its contexts died with it
            }
        }
        return outcome;
    }

    private StopOutcome teardown(Duration gracePeriod) throws InterruptedException {
        try {
            EvaluateResult r = harness.call("teardown", Map.of(), gracePeriod.compareTo(MIN_TEARDOWN) < 0 ? MIN_TEARDOWN : gracePeriod);
            if (!r.threw()) {
                return StopOutcome.STOPPED;
            }
            log.warn("teardown of sandbox {} threw: {}", sandboxId, r.exception());
        } catch (CdpException e) {
            log.warn("teardown of sandbox {} did not complete: {}", sandboxId, e.getMessage());
        } catch (InterruptedException e) {
            harness.page().disposeQuietly();
            throw e;
        }
        return StopOutcome.KILLED;
    }

    private StopOutcome diedBefore(SandboxPage page) {
        log.info("sandbox {} had died before stop ({})", sandboxId, page.goneReason());
        return StopOutcome.KILLED;
    }

    private boolean dispose(SandboxPage page) throws InterruptedException {
        try {
            return page.dispose(DISPOSE_TIMEOUT);
        } catch (CdpException e) {
            throw new SandboxException("disposing browser context " + page.contextId() + " of sandbox " + sandboxId
                    + " failed: " + e.getMessage(), e);
        }
    }
}
