package dev.devs.sandbox;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A provider's sandboxes whose stop threw before their driver released them (the engine was down, say). The
 * stop's KILLED event, with the error, was emitted then; a retry emits nothing more, it only releases.
 * Thread-safe; retries of one sandbox run one at a time. (What dead owners left is {@link OrphanSweep}'s.)
 */
final class ReleaseRetries {

    private static final Logger log = LoggerFactory.getLogger(ReleaseRetries.class);

    private final Map<String, Sandbox> sandboxes = new ConcurrentHashMap<>();

    void add(Sandbox sandbox) {
        sandboxes.put(sandbox.id(), sandbox);
    }

    /**
     * Asks the driver again to release {@code sandbox}.
     *
     * @return KILLED, the outcome its stop's event reported (it could not be stopped on request)
     * @throws SandboxException the release failed again, with the first failure suppressed
     */
    StopOutcome retry(Sandbox sandbox, Throwable first) {
        synchronized (sandbox.stopClaimed) {
            if (!sandboxes.containsKey(sandbox.id())) {
                return StopOutcome.KILLED;
            }
            try {
                sandbox.handle.stop(sandbox.spec().stopGracePeriod(), new PhaseTimes());
                sandboxes.remove(sandbox.id());
                log.info("sandbox {} released on retry after its stop failed: {}", sandbox.id(), first.toString());
                return StopOutcome.KILLED;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SandboxException("retrying the stop of sandbox " + sandbox.id() + " was interrupted", e);
            } catch (RuntimeException e) {
                if (e != first) {
                    e.addSuppressed(first);
                }
                throw e instanceof SandboxException se ? se
                        : new SandboxException("retrying the stop of sandbox " + sandbox.id() + " failed: " + e, e);
            }
        }
    }

    /** Retries every one up to {@code attempts} times, pausing {@code pause} times the attempt number between rounds. */
    void retryAll(int attempts, Duration pause) {
        for (int attempt = 1; attempt <= attempts && !sandboxes.isEmpty() && !Thread.currentThread().isInterrupted(); attempt++) {
            for (Sandbox sandbox : List.copyOf(sandboxes.values())) {
                try {
                    retry(sandbox, new SandboxException("its stop had failed"));
                } catch (RuntimeException e) {
                    if (attempt == attempts) {
                        log.warn("sandbox {} could not be released after {} attempts; a later provider's sweep removes it once"
                                + " its owner is gone", sandbox.id(), attempts, e);
                    }
                }
            }
            if (!sandboxes.isEmpty() && attempt < attempts) {
                try {
                    Thread.sleep(pause.toMillis() * attempt);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    boolean isEmpty() {
        return sandboxes.isEmpty();
    }
}
