package dev.devs.sandbox.tck;

import dev.devs.sandbox.SandboxException;
import dev.devs.sandbox.StopOutcome;
import dev.devs.sandbox.spi.PhaseRecorder;
import dev.devs.sandbox.spi.SandboxDriver;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The driver under test behind a wrapper that passes every call through, except a release a check asks to fail
 * once (before or after asking the driver), and that counts the releases asked of the driver per sandbox.
 */
final class ReleaseFaultDriver extends ForwardingDriver {
    static final String PLANTED = "release failure planted by the contract";
    /** sandbox id -> whether the planted failure comes after the driver's release (true) or instead of it. */
    private final Map<String, Boolean> failOnce = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> releases = new ConcurrentHashMap<>();

    ReleaseFaultDriver(SandboxDriver delegate) {
        super(delegate);
    }

    void failReleaseOnce(String sandboxId, boolean afterRelease) {
        failOnce.put(sandboxId, afterRelease);
    }

    int releases(String sandboxId) {
        AtomicInteger n = releases.get(sandboxId);
        return n == null ? 0 : n.get();
    }

    @Override
    Handle wrap(Handle handle, String id) {
        return new ForwardingHandle(handle) {
            @Override
            public StopOutcome stop(Duration gracePeriod, PhaseRecorder phases) throws InterruptedException {
                releases.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
                Boolean after = failOnce.remove(id);
                if (after != null && !after) {
                    throw new SandboxException(PLANTED + " (before the driver's release of " + id + ")");
                }
                StopOutcome outcome = super.stop(gracePeriod, phases);
                if (after != null) {
                    throw new SandboxException(PLANTED + " (after the driver's release of " + id + ": " + outcome + ")");
                }
                return outcome;
            }
        };
    }
}
