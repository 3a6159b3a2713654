package dev.devs.sandbox.docker;

import static dev.devs.sandbox.docker.ContainerDiagnostics.clip;
import static dev.devs.sandbox.docker.ContainerDiagnostics.describe;
import static dev.devs.sandbox.docker.ContainerDiagnostics.shortId;

import com.github.dockerjava.api.command.InspectContainerResponse;
import dev.devs.sandbox.ExecResult;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.SandboxStartException;
import dev.devs.sandbox.SandboxTimeoutException;
import dev.devs.sandbox.spi.StartContext;
import java.time.Duration;
import java.util.List;

/**
 * Decides when a started container is ready, in the manner of Testcontainers' wait strategies: first the owner
 * watchdog must say it started the command, over the owner link, and one inspect must report it running (phase
 * {@code ready}; a command that cannot be found or has already exited fails the start with its exit status and last
 * output lines), then, if the spec asks for one, its minimum running time must pass with the program running (phase
 * {@code minimum-running}), then the spec's readiness probe, if any, is exec'd until
 * it exits 0 (phase {@code readiness}), with a short back-off (2 ms doubling to 50 ms) bounded by the
 * startup timeout. Holds no state between calls.
 */
final class ReadinessProber {

    private static final long FIRST_PAUSE_NANOS = 2_000_000;
    private static final long MAX_PAUSE_NANOS = 50_000_000;

    private final EngineCalls engine;
    private final ExecRunner execs;
    private final ContainerDiagnostics diagnostics;
    private final EngineFailureTranslator failures;

    ReadinessProber(EngineCalls engine, ExecRunner execs, ContainerDiagnostics diagnostics, EngineFailureTranslator failures) {
        this.engine = engine;
        this.execs = execs;
        this.diagnostics = diagnostics;
        this.failures = failures;
    }

    /**
     * Waits until the owner watchdog says the command was started, then one inspect must report the container
     * running (and says which OCI runtime it runs on). A command that does not exist, or has already ended, fails the
     * start with its exit status and the last lines it wrote (read from the owner link: the engine removes an exited container at once).
     *
     * @return the OCI runtime the engine says the container runs on ({@code HostConfig.Runtime}), or null if it does not say
     * @throws SandboxStartException   the command is not running, with its exit status and output tail
     * @throws SandboxTimeoutException the watchdog did not report within the startup timeout
     */
    String requireRunning(SandboxSpec spec, StartContext ctx, String containerId, OwnerLink link) throws InterruptedException {
        String sandboxId = ctx.sandboxId();
        OwnerLink.Start start = link.awaitStarted(ctx.remaining());
        if (start == OwnerLink.Start.TIMED_OUT) {
            throw new SandboxTimeoutException(sandboxId, ctx.timeout(), "sandbox " + sandboxId + " (container " + shortId(containerId)
                    + ", image '" + spec.image() + "') did not report its command started within startupTimeout " + ctx.timeout()
                    + ". " + link.outputTail());
        }
        if (start == OwnerLink.Start.EXITED) {
            throw exited(spec, sandboxId, containerId, link, "is not running right after start");
        }
        InspectContainerResponse inspected;
        try {
            inspected = engine.requestForStart(ctx, "inspect container " + containerId, c -> c.inspectContainerCmd(containerId).exec());
        } catch (SandboxStartException e) {
            if (link.awaitEnd(Duration.ofSeconds(1))) {
                throw exited(spec, sandboxId, containerId, link, "ended right after start"); // removed by the engine meanwhile
            }
            throw e;
        }
        InspectContainerResponse.ContainerState state = inspected.getState();
        if (!Boolean.TRUE.equals(state.getRunning())) {
            link.awaitEnd(Duration.ofSeconds(1));
            throw exited(spec, sandboxId, containerId, link, "ended right after start (" + describe(state) + ")");
        }
        requireNotEnded(spec, sandboxId, containerId, link, "ended right after start");
        return inspected.getHostConfig() == null ? null : inspected.getHostConfig().getRuntime();
    }

    /**
     * The spec's opt-in {@link SandboxSpec#minimumRunningTime()}, counted from the watchdog's report that the program
     * started: the program must not end within it (as Testcontainers' {@code MinimumDurationRunningStartupCheckStrategy}).
     * Waits on the owner link, which ends when the container does, never with a sleep.
     *
     * @throws SandboxStartException   the program ended within it, naming its exit status and last output lines
     * @throws SandboxTimeoutException the startup timeout ran out before it had passed
     */
    void awaitMinimumRunningTime(SandboxSpec spec, StartContext ctx, String containerId, OwnerLink link) throws InterruptedException {
        Duration minimum = spec.minimumRunningTime();
        if (minimum.isZero()) {
            return;
        }
        Duration remaining = ctx.remaining();
        Duration wait = minimum.compareTo(remaining) < 0 ? minimum : remaining;
        if (link.awaitEnd(wait) || link.exitStatus() != null) {
            throw exited(spec, ctx.sandboxId(), containerId, link, "ended within its minimumRunningTime " + minimum);
        }
        ctx.checkDeadline("minimum running time " + minimum);
    }

    /**
     * The driver's last look before READY: the container may still be running while the watchdog, which inspect cannot
     * tell apart from the command, has already said over the link that the command ended (it then exits a moment
     * later). Measured on dockerd with a command that exits at once: READY 30 times of 50 without this look, about 4
     * with it; what remains is a command ending after the look, which then ends its sandbox by itself.
     */
    private static void requireNotEnded(SandboxSpec spec, String sandboxId, String containerId, OwnerLink link, String what) {
        if (link.exitStatus() != null || link.isEnded()) {
            throw exited(spec, sandboxId, containerId, link, what);
        }
    }

    private static String exitOf(OwnerLink link) throws InterruptedException {
        link.awaitEnd(Duration.ofSeconds(1)); // the engine removes it at once: its last words come over the link
        Integer status = link.exitStatus();
        return status == null ? "it ended without an exit status (killed)" : "exit code " + status;
    }

    private static SandboxStartException exited(SandboxSpec spec, String sandboxId, String containerId, OwnerLink link, String what) {
        String tail = link.outputTail();
        if (link.exitStatus() == null && tail.contains("exec " + OwnerWatchdog.SHELL + " failed")) {
            // The engine's init could not run the watchdog's shell: say what that means, not only the init's words.
            return new SandboxStartException(sandboxId, "image '" + spec.image() + "' has no " + OwnerWatchdog.SHELL + ", which every"
                    + " Docker sandbox needs: its command runs under a small shell script that ends the sandbox when its owner is"
                    + " gone or its maxLifetime has passed (docs/security/sandbox-ownership.md). Use an image with a POSIX shell"
                    + " at " + OwnerWatchdog.SHELL + " (busybox, debian, alpine...). " + tail);
        }
        Integer status = link.exitStatus();
        String command = spec.command().isEmpty() ? "the image's default command" : "command " + spec.command();
        return new SandboxStartException(sandboxId, "sandbox " + sandboxId + " (container " + shortId(containerId) + ", image '"
                + spec.image() + "') " + what + ": " + command + (status == null ? " did not start"
                : " exited with status " + status + (status == OwnerWatchdog.EXIT_NOT_FOUND ? " (not found)" : ""))
                + ". " + link.outputTail());
    }

    /**
     * Runs the spec's readiness probe until it exits 0.
     *
     * @throws SandboxTimeoutException the startup timeout ran out, with the last attempt's exit code and output
     * @throws SandboxStartException   the container stopped running meanwhile, or the engine failed
     */
    void awaitProbe(SandboxSpec spec, StartContext ctx, String containerId, OwnerLink link) throws InterruptedException {
        String id = ctx.sandboxId();
        List<String> probe = spec.readinessProbe();
        Backoff backoff = new Backoff(FIRST_PAUSE_NANOS, MAX_PAUSE_NANOS, System.nanoTime() + ctx.remaining().toNanos());
        int attempts = 0;
        ExecResult last = null;
        do {
            Duration remaining = ctx.remaining();
            if (remaining.isNegative() || remaining.isZero()) {
                break;
            }
            attempts++;
            try {
                last = execs.run(containerId, probe, remaining);
            } catch (ExecRunner.ExecTimedOut t) {
                throw timedOut(spec, ctx, containerId, attempts, last, "attempt " + attempts
                        + " was still running when the timeout ran out (its output so far: stdout '" + clip(t.partial.stdout())
                        + "', stderr '" + clip(t.partial.stderr()) + "')");
            } catch (RuntimeException e) {
                // The engine refuses exec in a container that is not running (dockerd 409, Podman 500), or no longer knows it (auto-removed):
                // the main process has exited. Anything else, with the container still there, is the engine's failure.
                if (EngineErrorClassifier.isNotRunning(e) || link.awaitEnd(Duration.ofMillis(200))) {
                    throw new SandboxStartException(id, "sandbox " + id + " (container " + shortId(containerId) + ", image '"
                            + spec.image() + "') stopped running while its readiness probe " + probe + " was being tried ("
                            + attempts + " attempts): " + exitOf(link) + ". " + link.outputTail(), e);
                }
                throw failures.starting(id, "run readiness probe " + probe + " in container " + containerId, e);
            }
            if (last.exitCode() == 0) {
                requireNotEnded(spec, id, containerId, link, "ended while its readiness probe passed");
                return;
            }
        } while (backoff.pause());
        throw timedOut(spec, ctx, containerId, attempts, last, null);
    }

    private SandboxTimeoutException timedOut(SandboxSpec spec, StartContext ctx, String containerId, int attempts,
                                             ExecResult last, String note) {
        String id = ctx.sandboxId();
        StringBuilder m = new StringBuilder("sandbox ").append(id).append(" (container ").append(shortId(containerId))
                .append(", image '").append(spec.image()).append("') did not become ready within startupTimeout ")
                .append(ctx.timeout()).append(": readiness probe ").append(spec.readinessProbe()).append(" ran ")
                .append(attempts).append(attempts == 1 ? " time" : " times");
        if (last != null) {
            m.append("; last exit code ").append(last.exitCode())
                    .append(", stdout '").append(clip(last.stdout())).append("', stderr '").append(clip(last.stderr())).append('\'');
        } else {
            m.append("; no attempt finished");
        }
        if (note != null) {
            m.append(" (").append(note).append(')');
        }
        m.append(". Container: ").append(diagnostics.describeNow(containerId)).append(". ").append(diagnostics.logTail(containerId));
        return new SandboxTimeoutException(id, ctx.timeout(), m.toString());
    }
}
