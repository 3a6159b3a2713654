package dev.devs.sandbox.webcontainer;

import dev.devs.sandbox.spi.SandboxDriver;
import dev.devs.sandbox.SandboxRuntimeUnavailableException;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.SandboxTimeoutException;
import dev.devs.sandbox.spi.StartContext;
import dev.devs.sandbox.StartType;
import dev.devs.sandbox.internal.DaemonThreads;
import dev.devs.sandbox.webcontainer.internal.cdp.CdpConnection;
import dev.devs.sandbox.webcontainer.internal.cdp.CdpException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
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
 * {@code launch-browser} phase is the wait); see {@code docs/design.md}, section "Start types".
 * Every sandbox gets its own browser context and page, because a page can boot only one WebContainer.
 * The page is the driver's harness, served from a loopback server inside the driver with the
 * cross-origin-isolation headers WebContainers need. The phases, in order, on READY and FAILED:
 * <ol>
 *   <li>{@code launch-browser} (cold starts only): Chromium started, its DevTools socket connected;</li>
 *   <li>{@code new-context}: browser context, page target, DevTools session;</li>
 *   <li>{@code load-harness}: the harness page and the client modules loaded;</li>
 *   <li>{@code boot}: {@code WebContainer.boot()} resolved against the {@linkplain Builder#endpoint(String) endpoint};</li>
 *   <li>{@code readiness}: a file written and read back through the WebContainer file system (then the spec's
 *       readiness probe, if any, until it exits 0).</li>
 * </ol>
 * READY and FAILED carry the attributes {@code endpoint} (the runtime origin) and {@code runtime}:
 * {@code stackblitz} for {@link #STACKBLITZ_ENDPOINT}, the value of the header {@value #RUNTIME_HEADER} when the
 * runtime's {@code /headless} response carried one (the loopback stand-in the tests use says {@code test-stand-in}),
 * {@code self-hosted} otherwise.
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
 * <h2>Collaborators</h2>
 * This class wires them: {@link SharedBrowser} (the one browser and harness server), {@link SandboxPage} (a
 * sandbox's context and page), {@link Harness} (the harness page and its calls), {@link BootRace},
 * {@link Readiness}, {@link SpawnExec}, {@link Teardown} and {@link StartFailures} (every failure message). See
 * {@code docs/design.md}, section "Modules".
 *
 * <p>Thread-safe. {@link #close()} ends the browser by its PID and deletes its profile directory. The driver never
 * interrupts a caller's thread: every wait is a bounded {@code Future.get} on a future that the driver's own
 * DevTools thread completes, and an interrupted caller gets {@link InterruptedException} after the sandbox's
 * browser context has been disposed.
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
     * Response header by which a runtime's {@code /headless} page says what it is; its value becomes the
     * {@code runtime} attribute (the project's loopback test stand-in declares {@code test-stand-in}, so that its
     * timings never pass for StackBlitz's).
     */
    public static final String RUNTIME_HEADER = "X-Devs-Runtime";
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

    private static final Logger log = LoggerFactory.getLogger(WebContainerDriver.class);

    /** Ends each sandbox at its spec's maxLifetime (one daemon thread; the teardown is a message round trip). */
    private final ScheduledExecutorService lifetimes = Executors.newSingleThreadScheduledExecutor(
            DaemonThreads.named("webcontainer-lifetimes"));

    private final DriverConfig config;
    private final SharedBrowser browser;
    private final StartFailures failures;
    private final BootRace bootRace;
    private final Readiness readiness;

    /** A driver with the defaults: Chromium from CHROME_PATH or {@value #DEFAULT_CHROME_PATH}, StackBlitz's runtime. */
    public WebContainerDriver() {
        this(builder().config());
    }

    private WebContainerDriver(DriverConfig config) {
        this.config = config;
        this.browser = new SharedBrowser(config);
        this.failures = new StartFailures(config.endpoint(), browser::isClosed);
        this.bootRace = new BootRace(config, failures);
        this.readiness = new Readiness(failures);
    }

    /** A builder with the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** Exec and files; see {@link WebContainerFiles} for what is not declared and why. */
    @Override
    public java.util.Set<dev.devs.sandbox.SandboxCapability> capabilities() {
        return WebContainerFiles.CAPABILITIES;
    }

    @Override
    public String name() {
        return NAME;
    }

    /** The runtime origin this driver boots against, e.g. {@code https://stackblitz.com}. */
    public String endpoint() {
        return config.endpoint();
    }

    /** The boot timeout. */
    public Duration bootTimeout() {
        return config.bootTimeout();
    }

    /**
     * Rejects what a WebContainer cannot do: an image, a main-process command (and so a minimum running time for it),
     * scratch volumes, an OCI runtime, a network other than {@code none} (which it enforces), and {@code cpus},
     * {@code memoryBytes}, {@code pidsLimit}, {@code user} or {@code workDir} other than the spec's defaults (a browser
     * cannot enforce them).
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
        if (!spec.minimumRunningTime().isZero()) {
            throw new IllegalArgumentException("minimumRunningTime " + spec.minimumRunningTime() + " is not supported by the " + NAME
                    + " driver: a WebContainer has no main process that could end early; leave minimumRunningTime at PT0S");
        }
        if (!spec.runtime().isEmpty()) {
            throw new IllegalArgumentException("runtime '" + spec.runtime() + "' is not supported by the " + NAME
                    + " driver: a WebContainer runs on the runtime its endpoint serves (attribute 'runtime' says which);"
                    + " leave runtime empty");
        }
        // Fields a browser cannot enforce are accepted only at the spec's defaults, which mean on this driver what
        // docs/security/isolation.md says; network "none" is enforced (NetworkNone).
        if (!spec.network().equals("none")) {
            throw new IllegalArgumentException("network '" + spec.network() + "' is not supported by the " + NAME
                    + " driver: a WebContainer can only be cut off from the network (network \"none\", the default, lets it"
                    + " reach only the runtime's origin); use network \"none\"");
        }
        if (Double.compare(spec.cpus(), DEFAULT_SPEC.cpus()) != 0) {
            throw unenforceable("cpus", spec.cpus(), DEFAULT_SPEC.cpus(), "the browser shares the host's CPUs");
        }
        if (spec.memoryBytes() != DEFAULT_SPEC.memoryBytes()) {
            throw unenforceable("memoryBytes", spec.memoryBytes(), DEFAULT_SPEC.memoryBytes(),
                    "a WebContainer is bounded only by the browser's own heap limits");
        }
        if (spec.pidsLimit() != DEFAULT_SPEC.pidsLimit()) {
            throw unenforceable("pidsLimit", spec.pidsLimit(), DEFAULT_SPEC.pidsLimit(),
                    "WebContainer processes are workers of one renderer, not host processes");
        }
        if (!spec.user().equals(DEFAULT_SPEC.user())) {
            throw unenforceable("user", "'" + spec.user() + "'", "'" + DEFAULT_SPEC.user() + "'",
                    "a WebContainer has no users of the host");
        }
        if (!spec.workDir().equals(DEFAULT_SPEC.workDir())) {
            // exec runs in the WebContainer's own working directory (a pool claim's workingDir aside).
            throw unenforceable("workDir", "'" + spec.workDir() + "'", "'" + DEFAULT_SPEC.workDir() + "'",
                    "exec runs in the WebContainer's own working directory (/home/<workdirName>)");
        }
        if (!spec.scratchVolumes().isEmpty()) {
            throw new IllegalArgumentException("scratchVolumes " + spec.scratchVolumes() + " are not supported by the " + NAME
                    + " driver: a WebContainer has one in-memory file system; leave scratchVolumes empty");
        }
    }

    /** The spec every field of which has its default: what the driver compares the unenforceable fields with. */
    private static final SandboxSpec DEFAULT_SPEC = SandboxSpec.builder().build();

    private static IllegalArgumentException unenforceable(String field, Object value, Object def, String why) {
        return new IllegalArgumentException(field + " " + value + " is not supported by the " + NAME + " driver: " + why
                + ", so it cannot enforce it; leave " + field + " at its default (" + def + ")");
    }

    /**
     * Runs the phases in order; on any failure the sandbox's browser context is disposed before the exception leaves.
     *
     * @throws InterruptedException the caller was interrupted; nothing of the sandbox is left
     */
    @Override
    public Handle start(SandboxSpec spec, StartContext ctx) throws InterruptedException {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(ctx, "ctx");
        browser.ensureOpen();
        ctx.attribute("endpoint", config.endpoint());
        ctx.attribute("runtime", config.presumedRuntime());

        SharedBrowser.Lease lease = browser.lease(ctx);
        ctx.startType(lease.cold() ? StartType.COLD : StartType.WARM);
        String phase = PHASE_NEW_CONTEXT;
        SandboxPage page = null;
        try {
            page = ctx.timed(PHASE_NEW_CONTEXT, () -> SandboxPage.open(lease.browser().cdp(), ctx, PHASE_NEW_CONTEXT, lease.network()));
            Harness harness = new Harness(page);

            phase = PHASE_LOAD_HARNESS;
            ctx.timed(PHASE_LOAD_HARNESS, () -> {
                harness.load(lease.harness().pageUrl(), ctx, PHASE_LOAD_HARNESS);
                return null;
            });

            phase = PHASE_BOOT;
            String runtime = ctx.timed(PHASE_BOOT, () -> bootRace.boot(harness, ctx));
            if (runtime != null) {
                ctx.attribute("runtime", runtime);
            }

            phase = PHASE_READINESS;
            SpawnExec exec = new SpawnExec(ctx.sandboxId(), config.endpoint(), harness, spec.env());
            ctx.timed(PHASE_READINESS, () -> {
                readiness.await(harness, exec, spec.readinessProbe(), ctx);
                return null;
            });
            log.debug("sandbox {} ready in browser context {} ({})", ctx.sandboxId(), page.contextId(),
                    lease.cold() ? "cold" : "warm");
            return new WebContainerHandle(page, exec, new WebContainerFiles(ctx.sandboxId(), harness), new Teardown(ctx.sandboxId(), harness),
                    lifetimes, spec.maxLifetime());
        } catch (CdpException e) {
            disposeQuietly(page);
            throw failures.translate(e, phase, ctx, lease.browser());
        } catch (InterruptedException | RuntimeException | Error e) {
            disposeQuietly(page);
            throw e;
        }
    }

    private static void disposeQuietly(SandboxPage page) {
        if (page != null) {
            page.disposeQuietly(); // SandboxPage.open cleans up after itself
        }
    }

    /** Ends the browser (by PID) and removes its profile directory, and stops the harness server. Idempotent. */
    @Override
    public void close() {
        lifetimes.shutdownNow();
        browser.close();
    }

    // ---- package-private views for the tests -------------------------------------------------------------

    /** The Chromium binary this driver launches. */
    Path chromePath() {
        return config.chromePath();
    }

    /** The running browser's process, if one was launched and has not been closed. */
    Optional<ProcessHandle> browserProcess() {
        return browser.process();
    }

    /** The current browser's profile directory, if any. */
    Optional<Path> browserProfileDir() {
        return browser.profileDir();
    }

    /** The current browser's TMPDIR, if any. */
    Optional<Path> browserTempDir() {
        return browser.tmpDir();
    }

    /** Whether a browser runs and answers. */
    boolean browserAlive() {
        return browser.alive();
    }

    /** The DevTools connection of the running browser (tests list its contexts and pages). */
    Optional<CdpConnection> browserConnection() {
        return browser.connection();
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
            return new WebContainerDriver(config());
        }

        private DriverConfig config() {
            return DriverConfig.of(chromePath, endpoint, apiKey, bootTimeout, launchTimeout, profileParent);
        }
    }
}
