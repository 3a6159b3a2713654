package dev.devs.sandbox.webcontainer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.devs.sandbox.ExecResult;
import dev.devs.sandbox.PhaseRecorder;
import dev.devs.sandbox.SandboxDriver;
import dev.devs.sandbox.SandboxException;
import dev.devs.sandbox.SandboxTimeoutException;
import dev.devs.sandbox.StopOutcome;
import dev.devs.sandbox.webcontainer.cdp.CdpConnection;
import dev.devs.sandbox.webcontainer.cdp.CdpException;
import dev.devs.sandbox.webcontainer.cdp.CdpSession;
import dev.devs.sandbox.webcontainer.cdp.CdpSession.EvaluateResult;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One booted WebContainer: a page in its own browser context. {@code exec} goes through the WebContainer
 * {@code spawn} API; {@code stop} tears the WebContainer down and disposes the context.
 */
final class WebContainerHandle implements SandboxDriver.Handle {

    private static final Logger log = LoggerFactory.getLogger(WebContainerHandle.class);
    private static final Duration KILL_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration DISPOSE_TIMEOUT = Duration.ofSeconds(5);

    private final String sandboxId;
    private final String endpoint;
    private final CdpConnection cdp;
    private final CdpSession page;
    private final String contextId;
    private final Map<String, String> env;
    private final AtomicLong execIds = new AtomicLong();

    WebContainerHandle(String sandboxId, String endpoint, CdpConnection cdp, CdpSession page, String contextId,
            Map<String, String> env) {
        this.sandboxId = sandboxId;
        this.endpoint = endpoint;
        this.cdp = cdp;
        this.page = page;
        this.contextId = contextId;
        this.env = env;
    }

    /**
     * Spawns {@code command[0]} with the rest as arguments and the spec's env, collects its output and exit code.
     * The WebContainer API merges stdout and stderr into one terminal stream: it all lands in
     * {@link ExecResult#stdout()}, and {@link ExecResult#stderr()} is empty.
     */
    @Override
    public ExecResult exec(List<String> command, Duration timeout) throws InterruptedException {
        if (!isAlive()) {
            throw new SandboxException("exec of " + command + " in sandbox " + sandboxId + " is impossible: its page is gone ("
                    + page.detachedFuture().getNow(cdp.closedFuture().getNow("browser connection closed")) + ")");
        }
        long id = execIds.incrementAndGet();
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("id", id);
        args.put("command", command.get(0));
        args.put("args", command.subList(1, command.size()));
        args.put("env", env);
        long t0 = System.nanoTime();
        EvaluateResult r;
        try {
            r = WebContainerDriver.evaluate(page, "exec", args, timeout);
        } catch (CdpException e) {
            if (isAlive() && System.nanoTime() - t0 >= timeout.toNanos()) {
                killQuietly(id);
                throw new SandboxTimeoutException(sandboxId, timeout, "command " + command + " did not finish within " + timeout
                        + " in sandbox " + sandboxId + "; it was killed", e);
            }
            throw new SandboxException("exec of " + command + " in sandbox " + sandboxId + " failed: " + e.getMessage(), e);
        }
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        if (r.threw()) {
            throw new SandboxException("exec of " + command + " in sandbox " + sandboxId + " (endpoint " + endpoint
                    + ") failed: " + r.exception());
        }
        JsonNode v = r.value();
        return new ExecResult(v.path("exitCode").asInt(-1), v.path("output").asText(""), "", took);
    }

    /**
     * Calls {@code teardown()} (bounded by the grace period), then disposes the browser context. STOPPED when the
     * teardown finished in time; KILLED when it failed or timed out, or the page (or browser) had already died.
     */
    @Override
    @SuppressWarnings("try") // phase timers are closed for their side effect
    public StopOutcome stop(Duration gracePeriod, PhaseRecorder phases) throws InterruptedException {
        StopOutcome outcome = StopOutcome.KILLED;
        if (isAlive()) {
            try (PhaseRecorder.Phase p = phases.phase(WebContainerDriver.PHASE_TEARDOWN)) {
                // A zero grace period still gets a moment: teardown is a message round trip, not a wait.
                Duration bound = gracePeriod.compareTo(Duration.ofMillis(100)) < 0 ? Duration.ofMillis(100) : gracePeriod;
                EvaluateResult r = WebContainerDriver.evaluate(page, "teardown", Map.of(), bound);
                if (r.threw()) {
                    log.warn("teardown of sandbox {} threw: {}", sandboxId, r.exception());
                } else {
                    outcome = StopOutcome.STOPPED;
                }
            } catch (CdpException e) {
                log.warn("teardown of sandbox {} did not complete: {}", sandboxId, e.getMessage());
            }
        } else {
            log.info("sandbox {} had died before stop ({})", sandboxId,
                    page.detachedFuture().getNow(cdp.closedFuture().getNow("browser connection closed")));
        }
        if (cdp.isOpen()) {
            try (PhaseRecorder.Phase p = phases.phase(WebContainerDriver.PHASE_DISPOSE_CONTEXT)) {
                cdp.disposeBrowserContext(contextId, DISPOSE_TIMEOUT);
            } catch (CdpException e) {
                if (cdp.isOpen()) {
                    throw new SandboxException("disposing browser context " + contextId + " of sandbox " + sandboxId
                            + " failed: " + e.getMessage(), e);
                }
                // The browser died meanwhile: its contexts died with it.
                outcome = StopOutcome.KILLED;
            }
        }
        return outcome;
    }

    @Override
    public boolean isAlive() {
        return page.isAttached() && cdp.isOpen();
    }

    private void killQuietly(long id) {
        try {
            WebContainerDriver.evaluate(page, "kill", Map.of("id", id), KILL_TIMEOUT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (CdpException e) {
            log.debug("killing exec {} of sandbox {} failed: {}", id, sandboxId, e.getMessage());
        }
    }
}
