package dev.devs.sandbox.webcontainer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.devs.sandbox.PhaseRecorder;
import dev.devs.sandbox.SandboxDriver;
import dev.devs.sandbox.SandboxException;
import dev.devs.sandbox.SandboxRuntimeUnavailableException;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.SandboxStartException;
import dev.devs.sandbox.SandboxTimeoutException;
import dev.devs.sandbox.StartContext;
import dev.devs.sandbox.StartType;
import dev.devs.sandbox.webcontainer.cdp.CdpConnection;
import dev.devs.sandbox.webcontainer.cdp.CdpException;
import dev.devs.sandbox.webcontainer.cdp.CdpSession;
import dev.devs.sandbox.webcontainer.cdp.CdpSession.EvaluateResult;
import dev.devs.sandbox.webcontainer.cdp.Network;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Provisions WebContainers: StackBlitz's {@code @webcontainer/api} client, unmodified, booted in headless
 * Chromium that this driver drives over the DevTools protocol.
 *
 * <h2>How a start works</h2>
 * One Chromium process per driver, launched by the first {@code start()} ({@link StartType#COLD}) and reused
 * by the next ones ({@link StartType#WARM}); if it died, the next start launches a new one (cold again).
 * Starts that run while another start launches the browser wait for that launch and are cold as well (their
 * {@code launch-browser} phase is the wait).
 * Every sandbox gets its own browser context and page, because a page can boot only one WebContainer.
 * The page is the driver's harness, served from a loopback server inside the driver with the
 * cross-origin-isolation headers WebContainers need. The phases, in order, on READY and FAILED:
 * <ol>
 *   <li>{@code launch-browser} (cold starts only): Chromium started, its DevTools socket connected;</li>
 *   <li>{@code new-context}: browser context, page target, DevTools session;</li>
 *   <li>{@code load-harness}: the harness page and the client modules loaded;</li>
 *   <li>{@code boot}: {@code WebContainer.boot()} resolved against the {@linkplain Builder#endpoint endpoint};</li>
 *   <li>{@code readiness}: a file written and read back through the WebContainer file system (then the spec's
 *       readiness probe, if any, until it exits 0).</li>
 * </ol>
 * READY and FAILED carry the attributes {@code endpoint} (the runtime origin) and {@code runtime}:
 * {@code stackblitz} for {@link #STACKBLITZ_ENDPOINT}, {@code test-stand-in} when the runtime's
 * {@code /headless} response carried the header {@value #RUNTIME_HEADER}{@code : test-stand-in} (the loopback
 * stand-in the tests use identifies itself that way), {@code self-hosted} otherwise.
 *
 * <h2>Failures</h2>
 * The client never gives up on an unreachable runtime, so the driver races {@code boot()} against the browser's
 * own network error for the runtime's iframe ({@code Network.loadingFailed}, e.g.
 * {@code net::ERR_CONNECTION_REFUSED}, or an HTTP error status) and against the {@linkplain Builder#bootTimeout
 * boot timeout}. A failed start throws {@link SandboxRuntimeUnavailableException} (runtime unreachable or
 * blocked, browser missing or not starting) or {@link SandboxTimeoutException}, naming the endpoint and the
 * network error, after disposing the sandbox's browser context.
 *
 * <h2>The spec</h2>
 * A WebContainer runs no image and no main process, so a spec with an {@code image}, a {@code command} or
 * {@code scratchVolumes} is rejected by {@link #validate}. {@code env} applies to {@code exec};
 * {@code startupTimeout}, {@code stopGracePeriod} and {@code readinessProbe} are honoured. Docker's resource and
 * privilege settings (cpus, memory, pids, network, user, read-only root) do not apply: the isolation is the
 * browser's.
 *
 * <p>Thread-safe. {@link #close()} ends the browser by its PID and deletes its profile directory.
 */
public final class WebContainerDriver implements SandboxDriver {

    /** The driver's name in events, reports and metric tags. */
    public static final String NAME = "webcontainer";
    /** StackBlitz's hosted runtime, the client's own default. */
    public static final URI STACKBLITZ_ENDPOINT = URI.create("https://stackblitz.com");
    /** Default bound on {@code WebContainer.boot()}. */
    public static final Duration DEFAULT_BOOT_TIMEOUT = Duration.ofSeconds(15);
    /** Default bound on launching Chromium up to a connected DevTools socket. */
    public static final Duration DEFAULT_LAUNCH_TIMEOUT = Duration.ofSeconds(30);
    /** Where Debian's {@code chromium} package puts the browser; used when neither the builder nor CHROME_PATH says. */
    public static final String DEFAULT_CHROME_PATH = "/usr/bin/chromium";
    /** Environment variable naming the Chromium binary. */
    public static final String CHROME_PATH_ENV = "CHROME_PATH";
    /**
     * Response header by which a runtime's {@code /headless} page says what it is; the value
     * {@value #TEST_STAND_IN} marks the loopback test stand-in, whose timings are not StackBlitz's.
     */
    public static final String RUNTIME_HEADER = "X-Devs-Runtime";
    /** {@link #RUNTIME_HEADER} value, and {@code runtime} attribute, of the test stand-in. */
    public static final String TEST_STAND_IN = "test-stand-in";
    /** {@code runtime} attribute for {@link #STACKBLITZ_ENDPOINT}. */
    public static final String STACKBLITZ = "stackblitz";
    /** {@code runtime} attribute for any other endpoint. */
    public static final String SELF_HOSTED = "self-hosted";

    /** Phase names, in order. */
    public static final String PHASE_LAUNCH_BROWSER = "launch-browser";
    public static final String PHASE_NEW_CONTEXT = "new-context";
    public static final String PHASE_LOAD_HARNESS = "load-harness";
    public static final String PHASE_BOOT = "boot";
    public static final String PHASE_READINESS = "readiness";
    /** Stop phases. */
    public static final String PHASE_TEARDOWN = "teardown";
    public static final String PHASE_DISPOSE_CONTEXT = "dispose-context";

    /** The file the readiness check writes and reads back, relative to the WebContainer's workdir. */
    static final String READINESS_FILE = ".devs-readiness";
    /** Bound on one DevTools call that is not the boot. */
    static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration CLEANUP_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration PROBE_INTERVAL = Duration.ofMillis(50);
    private static final Duration STATUS_GRACE = Duration.ofMillis(300);

    private static final Logger log = LoggerFactory.getLogger(WebContainerDriver.class);
    static final ObjectMapper JSON = new ObjectMapper();

    private final Path chromePath;
    private final String chromePathSource;
    private final String endpoint;
    private final String apiKey;
    private final Duration bootTimeout;
    private final Duration launchTimeout;
    private final Path profileParent;
    private final ReentrantLock browserLock = new ReentrantLock();
    private Browser browser;
    private HarnessServer harness;
    private volatile boolean closed;

    /** A driver with the defaults: Chromium from CHROME_PATH or {@value #DEFAULT_CHROME_PATH}, StackBlitz's runtime. */
    public WebContainerDriver() {
        this(builder().validated());
    }

    private WebContainerDriver(Builder b) {
        this.chromePath = b.resolvedChromePath;
        this.chromePathSource = b.chromePathSource;
        this.endpoint = b.endpoint;
        this.apiKey = b.apiKey;
        this.bootTimeout = b.bootTimeout;
        this.launchTimeout = b.launchTimeout;
        this.profileParent = b.profileParent;
    }

    /** A builder with the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String name() {
        return NAME;
    }

    /** The runtime origin this driver boots against, e.g. {@code https://stackblitz.com}. */
    public String endpoint() {
        return endpoint;
    }

    /** The boot timeout. */
    public Duration bootTimeout() {
        return bootTimeout;
    }

    /**
     * Rejects what a WebContainer cannot do: an image, a main-process command, scratch volumes.
     *
     * @throws IllegalArgumentException naming the field and value
     */
    @Override
    public void validate(SandboxSpec spec) {
        Objects.requireNonNull(spec, "spec");
        if (spec.image() != null) {
            throw new IllegalArgumentException("image '" + spec.image() + "' is not supported by the " + NAME
                    + " driver: a WebContainer runs no images; build the spec with SandboxSpec.builder() (no image)");
        }
        if (!spec.command().isEmpty()) {
            throw new IllegalArgumentException("command " + spec.command() + " is not supported by the " + NAME
                    + " driver: a WebContainer has no main process; run commands with Sandbox.exec(...) instead");
        }
        if (!spec.scratchVolumes().isEmpty()) {
            throw new IllegalArgumentException("scratchVolumes " + spec.scratchVolumes() + " are not supported by the " + NAME
                    + " driver: a WebContainer has one in-memory file system; leave scratchVolumes empty");
        }
    }

    @Override
    @SuppressWarnings("try") // phase timers are closed for their side effect
    public Handle start(SandboxSpec spec, StartContext ctx) throws InterruptedException {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(ctx, "ctx");
        ensureOpen();
        ctx.attribute("endpoint", endpoint);
        ctx.attribute("runtime", STACKBLITZ_ENDPOINT.toString().equals(endpoint) ? STACKBLITZ : SELF_HOSTED);

        Lease lease = acquireBrowser(ctx);
        ctx.startType(lease.cold ? StartType.COLD : StartType.WARM);
        CdpConnection cdp = lease.browser.cdp();
        String phase = PHASE_NEW_CONTEXT;
        String contextId = null;
        try {
            CdpSession page;
            try (PhaseRecorder.Phase p = ctx.phase(PHASE_NEW_CONTEXT)) {
                contextId = cdp.createBrowserContext(budget(ctx, phase));
                String targetId = cdp.createTarget("about:blank", contextId, budget(ctx, phase));
                page = cdp.attach(targetId, budget(ctx, phase));
                // Sent together: one round trip instead of three. Network for the runtime iframe's fate,
                // Page for the load event, Inspector for a crashed renderer.
                awaitAll(ctx, phase, page.send("Network.enable", null), page.send("Page.enable", null),
                        page.send("Inspector.enable", null));
            }

            phase = PHASE_LOAD_HARNESS;
            try (PhaseRecorder.Phase p = ctx.phase(PHASE_LOAD_HARNESS)) {
                CompletableFuture<JsonNode> loaded = new CompletableFuture<>();
                AutoCloseable sub = page.on("Page.loadEventFired", loaded::complete);
                try {
                    page.navigate(lease.harness.pageUrl().toString(), budget(ctx, phase));
                    CdpConnection.await("Page.loadEventFired", loaded, budget(ctx, phase));
                } finally {
                    closeQuietly(sub);
                }
            }

            phase = PHASE_BOOT;
            try (PhaseRecorder.Phase p = ctx.phase(PHASE_BOOT)) {
                String runtime = boot(page, cdp, ctx);
                if (runtime != null) {
                    ctx.attribute("runtime", runtime);
                }
            }

            phase = PHASE_READINESS;
            WebContainerHandle handle = new WebContainerHandle(ctx.sandboxId(), endpoint, cdp, page, contextId, spec.env());
            try (PhaseRecorder.Phase p = ctx.phase(PHASE_READINESS)) {
                String content = "ready " + ctx.sandboxId();
                EvaluateResult r = evaluate(page, "roundTrip", Map.of("path", READINESS_FILE, "content", content),
                        budget(ctx, phase));
                if (r.threw()) {
                    throw new SandboxStartException(ctx.sandboxId(), "WebContainer at " + endpoint
                            + " booted but its file system round trip (write then read " + READINESS_FILE + ") failed: " + r.exception());
                }
                if (!spec.readinessProbe().isEmpty()) {
                    probe(handle, spec.readinessProbe(), ctx);
                }
            }
            log.debug("sandbox {} ready in browser context {} ({})", ctx.sandboxId(), contextId, lease.cold ? "cold" : "warm");
            return handle;
        } catch (SandboxStartException e) {
            disposeQuietly(cdp, contextId);
            throw e;
        } catch (CdpException e) {
            disposeQuietly(cdp, contextId);
            throw translate(e, phase, ctx, lease.browser);
        } catch (InterruptedException | RuntimeException | Error e) {
            disposeQuietly(cdp, contextId);
            throw e;
        }
    }

    /**
     * Boots and returns the runtime the /headless response declared ({@link #RUNTIME_HEADER}), or null. Races the
     * boot against the iframe's network failure, the page's death and the boot timeout.
     */
    private String boot(CdpSession page, CdpConnection cdp, StartContext ctx) throws InterruptedException {
        RuntimeWatch watch = new RuntimeWatch(page.targetId());
        List<AutoCloseable> subs = List.of(
                page.on(Network.REQUEST_WILL_BE_SENT, Network.RequestWillBeSent.class, watch::onRequest),
                page.on(Network.RESPONSE_RECEIVED, Network.ResponseReceived.class, watch::onResponse),
                page.on(Network.RESPONSE_RECEIVED_EXTRA_INFO, Network.ResponseReceivedExtraInfo.class, watch::onRawResponse),
                page.on(Network.LOADING_FAILED, Network.LoadingFailed.class, watch::onFailed));
        long t0 = System.nanoTime();
        try {
            Map<String, Object> args = new LinkedHashMap<>();
            args.put("endpoint", endpoint);
            args.put("apiKey", apiKey);
            CompletableFuture<EvaluateResult> boot = page.evaluate(call("boot", args));
            Duration remaining = ctx.remaining();
            boolean startupBound = remaining.compareTo(bootTimeout) < 0;
            Duration limit = startupBound ? remaining : bootTimeout;
            try {
                CompletableFuture.anyOf(boot, watch.failure, page.detachedFuture(), cdp.closedFuture())
                        .get(Math.max(0, limit.toNanos()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                boot.cancel(false);
                String waited = String.format(Locale.ROOT, "%.0f ms", (System.nanoTime() - t0) / 1e6);
                String message = "WebContainer.boot() against " + endpoint + " did not finish within "
                        + (startupBound ? "the startupTimeout " + ctx.timeout() : "the bootTimeout " + bootTimeout)
                        + " (waited " + waited + ", sandbox " + ctx.sandboxId() + "): " + watch.describe(endpoint)
                        + ". Check that the endpoint serves a WebContainer runtime, or raise the timeout";
                throw new SandboxTimeoutException(ctx.sandboxId(), startupBound ? ctx.timeout() : bootTimeout, message);
            } catch (ExecutionException e) {
                // anyOf only fails when the evaluation itself failed (page or socket gone): handled below.
            }
            if (watch.failure.isDone()) {
                boot.cancel(false);
                throw new SandboxRuntimeUnavailableException(ctx.sandboxId(), "WebContainer runtime " + endpoint
                        + " is unavailable: " + watch.failure.getNow("") + " (" + String.format(Locale.ROOT, "%.0f ms",
                        (System.nanoTime() - t0) / 1e6) + " into boot, sandbox " + ctx.sandboxId()
                        + "). Point the driver at a reachable runtime with WebContainerDriver.builder().endpoint(...)", null);
            }
            if (!boot.isDone()) {
                String why = page.detachedFuture().getNow(null);
                throw new CdpException("Runtime.evaluate", "the page went away during boot: "
                        + (why != null ? why : cdp.closedFuture().getNow("browser connection closed")));
            }
            EvaluateResult result;
            try {
                result = boot.get();
            } catch (ExecutionException e) {
                throw e.getCause() instanceof CdpException c ? c
                        : new CdpException("Runtime.evaluate", null, "boot evaluation failed: " + e.getCause(), e.getCause());
            }
            if (result.threw()) {
                throw new SandboxStartException(ctx.sandboxId(), "WebContainer.boot() against " + endpoint + " failed: "
                        + firstLine(result.exception()));
            }
            return watch.runtime();
        } finally {
            subs.forEach(WebContainerDriver::closeQuietly);
        }
    }

    private void probe(WebContainerHandle handle, List<String> command, StartContext ctx) throws InterruptedException {
        String last = "it never ran";
        while (true) {
            ctx.checkDeadline(PHASE_READINESS);
            Duration left = ctx.remaining();
            try {
                var r = handle.exec(command, left.compareTo(CALL_TIMEOUT) < 0 ? left : CALL_TIMEOUT);
                if (r.succeeded()) {
                    return;
                }
                last = "exit code " + r.exitCode() + ", output " + abbreviate(r.stdout());
            } catch (SandboxTimeoutException e) {
                last = "it did not finish";
            } catch (SandboxException e) {
                if (closed) {
                    throw new SandboxStartException(ctx.sandboxId(), "WebContainerDriver was closed during phase '"
                            + PHASE_READINESS + "' of sandbox " + ctx.sandboxId() + "; its browser has been ended", e);
                }
                throw e;
            }
            if (ctx.remaining().compareTo(PROBE_INTERVAL) <= 0) {
                throw new SandboxTimeoutException(ctx.sandboxId(), ctx.timeout(), "readiness probe " + command + " of sandbox "
                        + ctx.sandboxId() + " did not exit 0 within startupTimeout " + ctx.timeout() + " (last attempt: " + last + ")");
            }
            Thread.sleep(PROBE_INTERVAL.toMillis());
        }
    }

    private SandboxStartException translate(CdpException e, String phase, StartContext ctx, Browser used) {
        if (closed) {
            return new SandboxStartException(ctx.sandboxId(), "WebContainerDriver was closed during phase '" + phase
                    + "' of sandbox " + ctx.sandboxId() + "; its browser has been ended", e);
        }
        if (!used.isAlive()) {
            return new SandboxRuntimeUnavailableException(ctx.sandboxId(), "Chromium (pid " + used.pid()
                    + ") went away during phase '" + phase + "' of sandbox " + ctx.sandboxId() + ": " + e.getMessage()
                    + "; the next start launches a new browser", e);
        }
        if (ctx.remaining().isNegative() || ctx.remaining().isZero()) {
            return new SandboxTimeoutException(ctx.sandboxId(), ctx.timeout(), "sandbox " + ctx.sandboxId()
                    + " did not become ready within startupTimeout " + ctx.timeout() + " (timed out during phase '" + phase
                    + "': " + e.getMessage() + ")", e);
        }
        return new SandboxStartException(ctx.sandboxId(), "phase '" + phase + "' of WebContainer sandbox " + ctx.sandboxId()
                + " (endpoint " + endpoint + ") failed: " + e.getMessage(), e);
    }

    /** The running browser (launching one if needed) and whether this start waited for a launch. */
    private record Lease(Browser browser, HarnessServer harness, boolean cold) { }

    private Lease acquireBrowser(StartContext ctx) throws InterruptedException {
        long t0 = System.nanoTime();
        browserLock.lockInterruptibly();
        try {
            ensureOpen();
            if (harness == null) {
                harness = HarnessServer.start();
            }
            if (browser != null && browser.isAlive()) {
                // A start that queued behind another start's launch paid for that launch: it is cold too.
                boolean waitedForLaunch = browser.readyNanos() > t0;
                if (waitedForLaunch) {
                    ctx.recordPhase(PHASE_LAUNCH_BROWSER, System.nanoTime() - t0);
                }
                return new Lease(browser, harness, waitedForLaunch);
            }
            if (browser != null) {
                log.warn("Chromium pid {} is gone (exited or killed); launching a new one. Its last stderr lines:{}",
                        browser.pid(), browser.stderrTail());
                browser.close();
                browser = null;
            }
            if (!Files.isExecutable(chromePath) || Files.isDirectory(chromePath)) {
                throw new SandboxRuntimeUnavailableException(ctx.sandboxId(), "Chromium binary " + chromePath + " (from "
                        + chromePathSource + ") " + (Files.exists(chromePath) ? "is not an executable file" : "does not exist")
                        + ": install Debian's chromium package (apt-get install chromium) or set " + CHROME_PATH_ENV
                        + " / WebContainerDriver.builder().chromePath(...)", null);
            }
            Duration limit = ctx.remaining().compareTo(launchTimeout) < 0 ? ctx.remaining() : launchTimeout;
            try {
                browser = Browser.launch(chromePath, limit, profileParent);
            } catch (Browser.LaunchException e) {
                throw new SandboxRuntimeUnavailableException(ctx.sandboxId(), "cannot launch Chromium for sandbox "
                        + ctx.sandboxId() + ": " + e.getMessage(), e);
            } finally {
                ctx.recordPhase(PHASE_LAUNCH_BROWSER, System.nanoTime() - t0);
            }
            return new Lease(browser, harness, true);
        } finally {
            browserLock.unlock();
        }
    }

    /** Ends the browser (by PID) and removes its profile directory, and stops the harness server. Idempotent. */
    @Override
    public void close() {
        closed = true;
        browserLock.lock();
        try {
            if (browser != null) {
                browser.close();
                browser = null;
            }
            if (harness != null) {
                harness.close();
                harness = null;
            }
        } finally {
            browserLock.unlock();
        }
    }

    // ---- package-private views for the tests -------------------------------------------------------------

    /** The Chromium binary this driver launches. */
    Path chromePath() {
        return chromePath;
    }

    /** The running browser's process, if one was launched and has not been closed. */
    Optional<ProcessHandle> browserProcess() {
        browserLock.lock();
        try {
            return browser == null ? Optional.empty() : Optional.of(browser.processHandle());
        } finally {
            browserLock.unlock();
        }
    }

    /** The current browser's profile directory, if any. */
    Optional<Path> browserProfileDir() {
        browserLock.lock();
        try {
            return browser == null ? Optional.empty() : Optional.of(browser.profileDir());
        } finally {
            browserLock.unlock();
        }
    }

    /** The current browser's TMPDIR, if any. */
    Optional<Path> browserTempDir() {
        browserLock.lock();
        try {
            return browser == null ? Optional.empty() : Optional.of(browser.tmpDir());
        } finally {
            browserLock.unlock();
        }
    }

    /** Whether a browser runs and answers. */
    boolean browserAlive() {
        browserLock.lock();
        try {
            return browser != null && browser.isAlive();
        } finally {
            browserLock.unlock();
        }
    }

    /** The DevTools connection of the running browser (tests list its contexts and pages). */
    Optional<CdpConnection> browserConnection() {
        browserLock.lock();
        try {
            return browser == null || !browser.isAlive() ? Optional.empty() : Optional.of(browser.cdp());
        } finally {
            browserLock.unlock();
        }
    }

    // ---- helpers ---------------------------------------------------------------------------------------------

    static EvaluateResult evaluate(CdpSession page, String function, Map<String, ?> args, Duration timeout)
            throws InterruptedException {
        CompletableFuture<EvaluateResult> f = page.evaluate(call(function, args));
        try {
            return f.get(Math.max(0, timeout.toNanos()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            f.cancel(false);
            throw new CdpException("Runtime.evaluate", null, "devsHarness." + function + "() did not finish within " + timeout, e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof CdpException c ? c
                    : new CdpException("Runtime.evaluate", null, "devsHarness." + function + "() failed: " + e.getCause(), e.getCause());
        }
    }

    static String call(String function, Map<String, ?> args) {
        try {
            return "globalThis.devsHarness." + function + "(" + JSON.writeValueAsString(args) + ")";
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot encode arguments of " + function + ": " + e, e);
        }
    }

    private static Duration budget(StartContext ctx, String phase) {
        ctx.checkDeadline(phase);
        Duration left = ctx.remaining();
        return left.compareTo(CALL_TIMEOUT) < 0 ? left : CALL_TIMEOUT;
    }

    private static void awaitAll(StartContext ctx, String phase, CompletableFuture<?>... calls) throws InterruptedException {
        Duration budget = budget(ctx, phase);
        try {
            CompletableFuture.allOf(calls).get(Math.max(0, budget.toNanos()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new CdpException("enable", null, "enabling the page's DevTools domains got no answer within " + budget, e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof CdpException c ? c : new CdpException("enable", null, e.getCause().toString(), e.getCause());
        }
    }

    static void disposeQuietly(CdpConnection cdp, String contextId) {
        if (contextId == null || !cdp.isOpen()) {
            return;
        }
        try {
            cdp.disposeBrowserContext(contextId, CLEANUP_TIMEOUT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (CdpException e) {
            log.warn("disposing browser context {} failed: {}", contextId, e.getMessage());
        }
    }

    static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            log.debug("unsubscribing failed: {}", e.toString());
        }
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    static String abbreviate(String s) {
        String oneLine = s.replace('\n', ' ').strip();
        return oneLine.length() <= 200 ? "'" + oneLine + "'" : "'" + oneLine.substring(0, 200) + "...'";
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("WebContainerDriver is closed");
        }
    }

    /**
     * Watches the runtime iframe's document request: the iframe is the only document the harness page loads
     * after it is itself loaded, so any Document request of a frame other than the main frame is it.
     */
    private static final class RuntimeWatch {
        private final String mainFrameId;
        private final java.util.Set<String> requestIds = java.util.concurrent.ConcurrentHashMap.newKeySet();
        final CompletableFuture<String> failure = new CompletableFuture<>();
        private volatile String url;
        private volatile Network.Response response;
        private volatile int rawStatus;
        private volatile Network.LoadingFailed failed;

        RuntimeWatch(String mainFrameId) {
            this.mainFrameId = mainFrameId;
        }

        void onRequest(Network.RequestWillBeSent e) {
            if ("Document".equals(e.type()) && !mainFrameId.equals(e.frameId())) {
                requestIds.add(e.requestId());
                url = e.request() == null ? null : e.request().url();
            }
        }

        void onResponse(Network.ResponseReceived e) {
            if (!requestIds.contains(e.requestId()) || e.response() == null) {
                return;
            }
            response = e.response();
            if (e.response().status() >= 400) {
                failure.complete("loading " + e.response().url() + " answered HTTP " + e.response().status() + " "
                        + Objects.toString(e.response().statusText(), "").strip()
                        + ", so it is not a WebContainer runtime endpoint");
            }
        }

        void onRawResponse(Network.ResponseReceivedExtraInfo e) {
            if (requestIds.contains(e.requestId())) {
                rawStatus = e.statusCode();
                if (failed != null) {
                    reportFailure();
                }
            }
        }

        void onFailed(Network.LoadingFailed e) {
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
            StringBuilder sb = new StringBuilder("the browser failed to load ").append(url == null ? "the runtime page" : url)
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
                return "the runtime page " + r.url() + " loaded (HTTP " + r.status() + ") but never answered the client";
            }
            if (url != null) {
                return "the browser requested " + url + " but got no response";
            }
            return "the browser never requested " + endpoint + "/headless";
        }

        String runtime() {
            Network.Response r = response;
            String declared = r == null ? null : r.header(RUNTIME_HEADER);
            return declared == null ? null : declared.strip();
        }
    }

    /**
     * Builder for {@link WebContainerDriver}. Every value is checked in {@link #build()}, before anything is launched;
     * an invalid one throws {@link IllegalArgumentException} naming it and what would be valid.
     */
    public static final class Builder {
        private String chromePath;
        private String endpoint = STACKBLITZ_ENDPOINT.toString();
        private String apiKey;
        private Duration bootTimeout = DEFAULT_BOOT_TIMEOUT;
        private Duration launchTimeout = DEFAULT_LAUNCH_TIMEOUT;
        private Path resolvedChromePath;
        private String chromePathSource;
        private Path profileParent;

        private Builder() {
        }

        /** Where browser profiles are created (tests point it at a temp dir they inspect); default the system temp dir. */
        Builder profileParent(Path dir) {
            this.profileParent = dir;
            return this;
        }

        /**
         * The Chromium (or Chrome) binary. Default: the {@value #CHROME_PATH_ENV} environment variable, else
         * {@value #DEFAULT_CHROME_PATH}. A path given here must exist and be executable when {@link #build()} runs.
         */
        public Builder chromePath(String path) {
            this.chromePath = Objects.requireNonNull(path, "chromePath");
            return this;
        }

        /** @see #chromePath(String) */
        public Builder chromePath(Path path) {
            return chromePath(Objects.requireNonNull(path, "chromePath").toString());
        }

        /**
         * The WebContainer runtime's origin ({@code http} or {@code https}, no path): StackBlitz's
         * ({@link #STACKBLITZ_ENDPOINT}, the default), a self-hosted StackBlitz Enterprise origin, or a stand-in.
         * The client loads {@code <endpoint>/headless} in an iframe.
         */
        public Builder endpoint(String endpoint) {
            this.endpoint = endpoint;
            return this;
        }

        /** @see #endpoint(String) */
        public Builder endpoint(URI endpoint) {
            this.endpoint = endpoint == null ? null : endpoint.toString();
            return this;
        }

        /** The WebContainer API key, passed to the client's {@code configureAPIKey} before boot. Default: none. */
        public Builder apiKey(String apiKey) {
            this.apiKey = apiKey;
            return this;
        }

        /** Bound on {@code WebContainer.boot()}; default {@link #DEFAULT_BOOT_TIMEOUT}. At most 5 minutes. */
        public Builder bootTimeout(Duration timeout) {
            this.bootTimeout = timeout;
            return this;
        }

        /** Bound on launching Chromium; default {@link #DEFAULT_LAUNCH_TIMEOUT}. At most 5 minutes. */
        public Builder launchTimeout(Duration timeout) {
            this.launchTimeout = timeout;
            return this;
        }

        /**
         * @throws IllegalArgumentException an invalid endpoint, API key or timeout, or a {@link #chromePath} given here
         *                                  that is not an executable file
         * @throws IllegalStateException    the module was built without its bundled {@code @webcontainer/api} client
         */
        public WebContainerDriver build() {
            return new WebContainerDriver(validated());
        }

        /** Checks every value and returns a frozen copy holding the resolved ones. */
        private Builder validated() {
            String normalized = normalizeEndpoint(endpoint);
            requireTimeout("bootTimeout", bootTimeout);
            requireTimeout("launchTimeout", launchTimeout);
            if (apiKey != null && (apiKey.isBlank() || apiKey.chars().anyMatch(Character::isWhitespace))) {
                throw new IllegalArgumentException("apiKey '" + apiKey + "' is not valid: it must be non-blank and contain no whitespace,"
                        + " or be left unset");
            }
            if (chromePath != null) {
                Path p = Path.of(chromePath);
                if (!Files.exists(p)) {
                    throw new IllegalArgumentException("chromePath '" + chromePath + "' does not exist: give the path of a Chromium"
                            + " or Chrome binary, e.g. " + DEFAULT_CHROME_PATH + " (apt-get install chromium)");
                }
                if (Files.isDirectory(p) || !Files.isExecutable(p)) {
                    throw new IllegalArgumentException("chromePath '" + chromePath + "' is not an executable file: give the path of"
                            + " a Chromium or Chrome binary, e.g. " + DEFAULT_CHROME_PATH);
                }
                resolvedChromePath = p;
                chromePathSource = "WebContainerDriver.builder().chromePath";
            } else {
                String env = System.getenv(CHROME_PATH_ENV);
                if (env != null && !env.isBlank()) {
                    resolvedChromePath = Path.of(env);
                    chromePathSource = "environment variable " + CHROME_PATH_ENV;
                } else {
                    resolvedChromePath = Path.of(DEFAULT_CHROME_PATH);
                    chromePathSource = "the default path";
                }
            }
            if (!HarnessServer.clientBundled()) {
                throw new IllegalStateException("the @webcontainer/api client is not on the classpath ("
                        + HarnessServer.RESOURCE_BASE + HarnessServer.CLIENT_ENTRY + "): build sandbox-webcontainer with Maven,"
                        + " which installs it with npm");
            }
            Builder frozen = copy();
            frozen.endpoint = normalized;
            return frozen;
        }

        private Builder copy() {
            Builder b = new Builder();
            b.chromePath = chromePath;
            b.endpoint = endpoint;
            b.apiKey = apiKey;
            b.bootTimeout = bootTimeout;
            b.launchTimeout = launchTimeout;
            b.resolvedChromePath = resolvedChromePath;
            b.chromePathSource = chromePathSource;
            b.profileParent = profileParent;
            return b;
        }

        private static void requireTimeout(String field, Duration d) {
            if (d == null || d.isZero() || d.isNegative() || d.compareTo(Duration.ofMinutes(5)) > 0) {
                throw new IllegalArgumentException(field + " " + d + " is out of range: use a duration in (0, PT5M]");
            }
        }

        /**
         * The origin the client will use, in the form JavaScript's {@code new URL(x).origin} gives it (lower-case
         * scheme and host, no default port), so that what the events say is what the browser loads.
         */
        static String normalizeEndpoint(String endpoint) {
            String hint = "; use the runtime's origin, e.g. " + STACKBLITZ_ENDPOINT + " or http://127.0.0.1:8080";
            if (endpoint == null || endpoint.isBlank()) {
                throw new IllegalArgumentException("endpoint '" + endpoint + "' is empty" + hint);
            }
            URI uri;
            try {
                uri = new URI(endpoint.strip());
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("endpoint '" + endpoint + "' is not a valid URL (" + e.getReason() + ")" + hint, e);
            }
            String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!"http".equals(scheme) && !"https".equals(scheme)) {
                throw new IllegalArgumentException("endpoint '" + endpoint + "' has scheme '" + uri.getScheme()
                        + "': only http and https are valid" + hint);
            }
            if (uri.getHost() == null || uri.getHost().isEmpty()) {
                throw new IllegalArgumentException("endpoint '" + endpoint + "' has no valid host" + hint);
            }
            if (uri.getRawUserInfo() != null) {
                throw new IllegalArgumentException("endpoint '" + endpoint + "' contains user info, which the client drops" + hint);
            }
            String path = uri.getRawPath();
            if ((path != null && !path.isEmpty() && !path.equals("/")) || uri.getRawQuery() != null || uri.getRawFragment() != null) {
                throw new IllegalArgumentException("endpoint '" + endpoint + "' has a path, query or fragment: the client keeps only"
                        + " the origin and loads <origin>/headless" + hint);
            }
            int port = uri.getPort();
            boolean defaultPort = port == -1 || ("http".equals(scheme) && port == 80) || ("https".equals(scheme) && port == 443);
            if (port == 0 || port > 65535) {
                throw new IllegalArgumentException("endpoint '" + endpoint + "' has port " + port + ": use 1 to 65535" + hint);
            }
            return scheme + "://" + uri.getHost().toLowerCase(Locale.ROOT) + (defaultPort ? "" : ":" + port);
        }
    }
}
