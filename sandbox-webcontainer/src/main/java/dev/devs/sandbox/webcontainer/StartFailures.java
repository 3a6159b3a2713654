package dev.devs.sandbox.webcontainer;

import dev.devs.sandbox.SandboxRuntimeUnavailableException;
import dev.devs.sandbox.SandboxStartException;
import dev.devs.sandbox.SandboxTimeoutException;
import dev.devs.sandbox.spi.StartContext;
import dev.devs.sandbox.webcontainer.internal.cdp.CdpException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.function.BooleanSupplier;

/**
 * Every message a failed WebContainer start throws, in one place: each names the sandbox, the endpoint or the
 * browser, and what to do about it; a network failure carries the browser's own {@code net::ERR_...} code.
 */
final class StartFailures {

    private final String endpoint;
    private final BooleanSupplier driverClosed;

    /** @param driverClosed whether the driver was closed, which then explains any failure of a start in flight */
    StartFailures(String endpoint, BooleanSupplier driverClosed) {
        this.endpoint = endpoint;
        this.driverClosed = driverClosed;
    }

    /** Fails before a launch when the configured binary is not (or no longer) an executable file. */
    static void requireLaunchable(String sandboxId, DriverConfig config) {
        Path chrome = config.chromePath();
        if (!Files.isExecutable(chrome) || Files.isDirectory(chrome)) {
            throw new SandboxRuntimeUnavailableException(sandboxId, "Chromium binary " + chrome + " (from "
                    + config.chromePathSource() + ") " + (Files.exists(chrome) ? "is not an executable file" : "does not exist")
                    + ": install Debian's chromium package (apt-get install chromium) or set " + WebContainerDriver.CHROME_PATH_ENV
                    + " / WebContainerDriver.builder().chromePath(...)", null);
        }
    }

    static SandboxStartException launchFailed(String sandboxId, Browser.LaunchException e) {
        return new SandboxRuntimeUnavailableException(sandboxId, "cannot launch Chromium for sandbox " + sandboxId + ": "
                + e.getMessage(), e);
    }

    /** A DevTools failure during {@code phase}, explained by what else went wrong: the driver, the browser, the clock. */
    SandboxStartException translate(CdpException e, String phase, StartContext ctx, Browser used) {
        if (driverClosed.getAsBoolean()) {
            return driverClosed(ctx.sandboxId(), phase, e);
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

    /** Whether the driver was closed under the start. */
    boolean driverClosed() {
        return driverClosed.getAsBoolean();
    }

    SandboxStartException driverClosed(String sandboxId, String phase, Throwable cause) {
        return new SandboxStartException(sandboxId, "WebContainerDriver was closed during phase '" + phase
                + "' of sandbox " + sandboxId + "; its browser has been ended", cause);
    }

    /** {@code boot()} outran its bound: {@code watch} says how far the runtime page got. */
    SandboxTimeoutException bootTimedOut(StartContext ctx, boolean startupBound, Duration bootTimeout, long bootStartNanos,
                                         RuntimeWatch watch) {
        Duration bound = startupBound ? ctx.timeout() : bootTimeout;
        String message = "WebContainer.boot() against " + endpoint + " did not finish within "
                + (startupBound ? "the startupTimeout " : "the bootTimeout ") + bound
                + " (waited " + millisSince(bootStartNanos) + ", sandbox " + ctx.sandboxId() + "): " + watch.describe(endpoint)
                + ". Check that the endpoint serves a WebContainer runtime, or raise the timeout";
        return new SandboxTimeoutException(ctx.sandboxId(), bound, message);
    }

    /** The browser could not load the runtime page: {@code networkError} carries its {@code net::ERR_...} code. */
    SandboxRuntimeUnavailableException runtimeUnavailable(String sandboxId, String networkError, long bootStartNanos) {
        return new SandboxRuntimeUnavailableException(sandboxId, "WebContainer runtime " + endpoint + " is unavailable: "
                + networkError + " (" + millisSince(bootStartNanos) + " into boot, sandbox " + sandboxId
                + "). Point the driver at a reachable runtime with WebContainerDriver.builder().endpoint(...)", null);
    }

    SandboxStartException bootThrew(String sandboxId, String exception) {
        int nl = exception.indexOf('\n');
        return new SandboxStartException(sandboxId, "WebContainer.boot() against " + endpoint + " failed: "
                + (nl < 0 ? exception : exception.substring(0, nl)));
    }

    SandboxStartException roundTripFailed(String sandboxId, String exception) {
        return new SandboxStartException(sandboxId, "WebContainer at " + endpoint + " booted but its file system round trip"
                + " (write then read " + Readiness.FILE + ") failed: " + exception);
    }

    static SandboxTimeoutException probeTimedOut(StartContext ctx, List<String> command, String lastAttempt) {
        return new SandboxTimeoutException(ctx.sandboxId(), ctx.timeout(), "readiness probe " + command + " of sandbox "
                + ctx.sandboxId() + " did not exit 0 within startupTimeout " + ctx.timeout() + " (last attempt: " + lastAttempt + ")");
    }

    private static String millisSince(long nanos) {
        return String.format(Locale.ROOT, "%.0f ms", (System.nanoTime() - nanos) / 1e6);
    }
}
