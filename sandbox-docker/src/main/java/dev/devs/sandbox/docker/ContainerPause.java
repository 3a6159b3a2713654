package dev.devs.sandbox.docker;

import dev.devs.sandbox.SandboxException;
import dev.devs.sandbox.SandboxStartException;
import dev.devs.sandbox.SandboxTimeoutException;
import java.time.Duration;
import java.util.Map;

/**
 * Pause and resume of one container, carried out by its {@link OwnerWatchdog}: the engine sends the container's
 * init {@link OwnerWatchdog#PAUSE_SIGNAL} (or {@link OwnerWatchdog#RESUME_SIGNAL}), the init forwards it to the
 * watchdog, which stops (or continues) every process of the sandbox but its own and says so over the
 * {@link OwnerLink}. The engine's freezer ({@code docker pause}) is not used: it would freeze the watchdog too, and
 * a frozen sandbox neither sees its owner go nor ends at its lifetime (a SIGKILL waits for the thaw); see
 * docs/decisions/0014-pause-stops-processes-not-the-cgroup.md. Works alike on runc and runsc, dockerd and Podman.
 *
 * <p>Thread-safe: one pause or resume at a time per container.
 */
final class ContainerPause {

    private final EngineCalls engine;
    private final EngineFailureTranslator failures;
    private final String sandboxId;
    private final String containerId;
    private final OwnerLink link;
    private volatile boolean paused;

    ContainerPause(EngineCalls engine, EngineFailureTranslator failures, String sandboxId, String containerId, OwnerLink link) {
        this.engine = engine;
        this.failures = failures;
        this.sandboxId = sandboxId;
        this.containerId = containerId;
        this.link = link;
    }

    /** Paused from the moment the signal is sent (so that no exec slips in) until a resume is confirmed. */
    boolean isPaused() {
        return paused;
    }

    synchronized void pause(Duration timeout) throws InterruptedException {
        if (paused) {
            return;
        }
        paused = true;
        Map<OwnerLink.Mark, Long> seen = Map.of(OwnerLink.Mark.PAUSED, link.marks(OwnerLink.Mark.PAUSED),
                OwnerLink.Mark.PAUSE_FAILED, link.marks(OwnerLink.Mark.PAUSE_FAILED));
        signal(OwnerWatchdog.PAUSE_SIGNAL, "pause");
        OwnerLink.Mark said = link.awaitMark(seen, timeout);
        if (said == OwnerLink.Mark.PAUSED) {
            return;
        }
        // Some process may be stopped already: the sandbox stays marked paused, so that resume() lets it go.
        throw unconfirmed("pause", said == OwnerLink.Mark.PAUSE_FAILED ? "some process of it would not stop" : null, timeout);
    }

    synchronized void resume(Duration timeout) throws InterruptedException {
        if (!paused) {
            return;
        }
        Map<OwnerLink.Mark, Long> seen = Map.of(OwnerLink.Mark.RESUMED, link.marks(OwnerLink.Mark.RESUMED));
        signal(OwnerWatchdog.RESUME_SIGNAL, "resume");
        if (link.awaitMark(seen, timeout) == null) {
            throw unconfirmed("resume", null, timeout);
        }
        paused = false;
    }

    /**
     * For a container restored from a checkpoint: asks its watchdog to count its maximum lifetime from now
     * ({@link OwnerWatchdog#RESTART_LIFETIME_SIGNAL}) and waits for its answer over the new owner's link, which also
     * shows that the restored watchdog runs and hears that link.
     *
     * @throws SandboxStartException   the container ended, or the engine refused the signal
     * @throws SandboxTimeoutException no answer within {@code timeout}
     */
    static void restartLifetime(EngineCalls engine, EngineFailureTranslator failures, String sandboxId, String containerId, OwnerLink link,
                                Duration timeout) throws InterruptedException {
        Map<OwnerLink.Mark, Long> seen = Map.of(OwnerLink.Mark.LIFETIME_RESTARTED, link.marks(OwnerLink.Mark.LIFETIME_RESTARTED));
        try {
            engine.request(c -> c.killContainerCmd(containerId).withSignal(OwnerWatchdog.RESTART_LIFETIME_SIGNAL).exec());
        } catch (RuntimeException e) {
            throw failures.starting(sandboxId, "signal restored container " + containerId, e);
        }
        if (link.awaitMark(seen, timeout) != null) {
            return;
        }
        if (link.isEnded()) {
            throw new SandboxStartException(sandboxId, "sandbox " + sandboxId + " (container " + ContainerDiagnostics.shortId(containerId)
                    + ") ended right after its restore from a checkpoint. " + link.outputTail());
        }
        throw new SandboxTimeoutException(sandboxId, timeout, "the watchdog of sandbox " + sandboxId + ", restored from a"
                + " checkpoint, did not answer within " + timeout);
    }

    private void signal(String signal, String what) throws InterruptedException {
        if (link.isEnded()) {
            throw new SandboxException("sandbox " + sandboxId + " is not running (it has ended), so it cannot " + what);
        }
        try {
            engine.request(c -> c.killContainerCmd(containerId).withSignal(signal).exec());
        } catch (RuntimeException e) {
            if (EngineErrorClassifier.isGone(e) || EngineErrorClassifier.isNotRunning(e)) {
                throw new SandboxException("sandbox " + sandboxId + " is not running (it has ended), so it cannot " + what, e);
            }
            throw failures.afterStart(sandboxId, what + " container " + containerId, e);
        }
    }

    private RuntimeException unconfirmed(String what, String reason, Duration timeout) {
        if (link.isEnded()) {
            return new SandboxException("sandbox " + sandboxId + " ended before its " + what + " was confirmed");
        }
        if (reason != null) {
            return new SandboxException(what + " of sandbox " + sandboxId + " failed: " + reason
                    + " (one in uninterruptible sleep); resume() or stop() it");
        }
        return new SandboxTimeoutException(sandboxId, timeout, what + " of sandbox " + sandboxId + " was not confirmed"
                + " within " + timeout + " (its watchdog did not answer); resume() or stop() it");
    }
}
