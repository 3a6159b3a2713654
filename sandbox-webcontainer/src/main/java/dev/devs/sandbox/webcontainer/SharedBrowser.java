package dev.devs.sandbox.webcontainer;

import dev.devs.sandbox.SandboxTimeoutException;
import dev.devs.sandbox.spi.StartContext;
import dev.devs.sandbox.webcontainer.internal.cdp.CdpConnection;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one browser (and harness server) of a driver: launched by the first start, reused by the next ones while it
 * lives, relaunched when it died, ended on {@link #close()}. Thread-safe; starts that arrive while another start
 * launches the browser wait for that launch.
 */
final class SharedBrowser implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SharedBrowser.class);

    /** The running browser for one start, and whether that start paid for (or waited on) its launch. */
    record Lease(Browser browser, HarnessServer harness, NetworkNone network, boolean cold) { }

    private final DriverConfig config;
    private final ReentrantLock lock = new ReentrantLock();
    private Browser browser;
    private HarnessServer harness;
    private NetworkNone network;
    private volatile boolean closed;

    SharedBrowser(DriverConfig config) {
        this.config = config;
    }

    /**
     * The running browser, launching one if there is none or it died; records {@code launch-browser} on a cold lease.
     *
     * @throws dev.devs.sandbox.SandboxRuntimeUnavailableException the browser cannot be launched
     * @throws IllegalStateException                               the driver is closed
     * @throws InterruptedException                                the caller was interrupted waiting for the launch
     */
    Lease lease(StartContext ctx) throws InterruptedException {
        long t0 = System.nanoTime();
        lock.lockInterruptibly();
        try {
            ensureOpen();
            if (harness == null) {
                harness = HarnessServer.start();
                network = new NetworkNone(harness.origin(), config.endpoint());
            }
            if (browser != null && browser.isAlive()) {
                // A start that queued behind another start's launch paid for that launch: it is cold too.
                boolean waitedForLaunch = browser.readyNanos() > t0;
                if (waitedForLaunch) {
                    ctx.recordPhase(WebContainerDriver.PHASE_LAUNCH_BROWSER, System.nanoTime() - t0);
                }
                return new Lease(browser, harness, network, waitedForLaunch);
            }
            if (browser != null) {
                log.warn("Chromium pid {} is gone (exited or killed); launching a new one. Its last stderr lines:{}",
                        browser.pid(), browser.stderrTail());
                browser.close();
                browser = null;
            }
            StartFailures.requireLaunchable(ctx.sandboxId(), config);
            Duration limit = ctx.remaining().compareTo(config.launchTimeout()) < 0 ? ctx.remaining() : config.launchTimeout();
            try {
                browser = Browser.launch(config.chromePath(), limit, config.profileParent());
            } catch (Browser.LaunchException e) {
                if (ctx.remaining().isNegative() || ctx.remaining().isZero()) {
                    // The launch was cut short by the start's own deadline: the start timed out, and says so.
                    throw new SandboxTimeoutException(ctx.sandboxId(), ctx.timeout(), "sandbox " + ctx.sandboxId() + " did not become"
                            + " ready within startupTimeout " + ctx.timeout() + " (timed out during phase '"
                            + WebContainerDriver.PHASE_LAUNCH_BROWSER + "': " + e.getMessage() + ")", e);
                }
                throw StartFailures.launchFailed(ctx.sandboxId(), e);
            } finally {
                ctx.recordPhase(WebContainerDriver.PHASE_LAUNCH_BROWSER, System.nanoTime() - t0);
            }
            return new Lease(browser, harness, network, true);
        } finally {
            lock.unlock();
        }
    }

    /** Whether {@link #close()} was called; a start that fails afterwards says the driver was closed. */
    boolean isClosed() {
        return closed;
    }

    /** Throws {@link IllegalStateException} once closed. */
    void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("WebContainerDriver is closed");
        }
    }

    /** Ends the browser (by PID), removes its profile directory and stops the harness server. Idempotent. */
    @Override
    public void close() {
        closed = true;
        lock.lock();
        try {
            if (browser != null) {
                browser.close();
                browser = null;
            }
            if (harness != null) {
                harness.close();
                harness = null;
                network.close();
                network = null;
            }
        } finally {
            lock.unlock();
        }
    }

    // ---- views for the tests, through the driver -----------------------------------------------------------

    Optional<ProcessHandle> process() {
        return view(Browser::processHandle);
    }

    Optional<Path> profileDir() {
        return view(Browser::profileDir);
    }

    Optional<Path> tmpDir() {
        return view(Browser::tmpDir);
    }

    boolean alive() {
        return view(b -> b.isAlive() ? Boolean.TRUE : null).isPresent();
    }

    Optional<CdpConnection> connection() {
        return view(b -> b.isAlive() ? b.cdp() : null);
    }

    private <T> Optional<T> view(Function<Browser, T> of) {
        lock.lock();
        try {
            return browser == null ? Optional.empty() : Optional.ofNullable(of.apply(browser));
        } finally {
            lock.unlock();
        }
    }
}
