package dev.devs.sandbox.webcontainer;

import dev.devs.sandbox.ExecResult;
import dev.devs.sandbox.SandboxException;
import dev.devs.sandbox.SandboxExecTimeoutException;
import dev.devs.sandbox.SandboxTimeoutException;
import dev.devs.sandbox.spi.StartContext;
import dev.devs.sandbox.webcontainer.internal.Waits;
import dev.devs.sandbox.webcontainer.internal.cdp.CdpSession.EvaluateResult;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * When a booted WebContainer is ready: a file written and read back through its file system, then the spec's
 * readiness probe, if any, run through {@code spawn} until it exits 0 or the startup timeout runs out.
 */
final class Readiness {

    /** The file the round trip writes and reads back, relative to the WebContainer's workdir. */
    static final String FILE = ".devs-readiness";
    private static final Duration PROBE_INTERVAL = Duration.ofMillis(50);

    private final StartFailures failures;

    Readiness(StartFailures failures) {
        this.failures = failures;
    }

    /**
     * @throws dev.devs.sandbox.SandboxStartException the round trip failed, or the driver was closed meanwhile
     * @throws SandboxTimeoutException                the probe did not exit 0 within the startup timeout
     */
    void await(Harness harness, SpawnExec exec, List<String> probe, StartContext ctx) throws InterruptedException {
        String phase = WebContainerDriver.PHASE_READINESS;
        EvaluateResult r = harness.call("roundTrip", Map.of("path", FILE, "content", "ready " + ctx.sandboxId()),
                CallBudget.of(ctx, phase));
        if (r.threw()) {
            throw failures.roundTripFailed(ctx.sandboxId(), r.exception());
        }
        if (probe.isEmpty()) {
            return;
        }
        String[] last = {"it never ran"};
        boolean passed = Waits.poll(PROBE_INTERVAL, ctx.remaining(), () -> {
            Duration left = ctx.remaining();
            if (left.isNegative() || left.isZero()) {
                return false;
            }
            try {
                ExecResult result = exec.run(probe, CallBudget.atMostOneCall(left));
                last[0] = "exit code " + result.exitCode() + ", output " + abbreviate(result.stdout());
                return result.succeeded();
            } catch (SandboxExecTimeoutException e) {
                last[0] = "it did not finish";
                return false;
            } catch (SandboxException e) {
                if (failures.driverClosed()) {
                    throw failures.driverClosed(ctx.sandboxId(), phase, e);
                }
                throw e;
            }
        });
        if (!passed) {
            throw StartFailures.probeTimedOut(ctx, probe, last[0]);
        }
    }

    private static String abbreviate(String s) {
        String oneLine = s.replace('\n', ' ').strip();
        return oneLine.length() <= 200 ? "'" + oneLine + "'" : "'" + oneLine.substring(0, 200) + "...'";
    }
}
