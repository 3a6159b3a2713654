package dev.devs.sandbox.spi;

import dev.devs.sandbox.SandboxTimeoutException;
import dev.devs.sandbox.StartType;
import dev.devs.sandbox.internal.StartContexts;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * What the provider tells a driver about one start, and how the driver reports back what only it knows:
 * the start type, per-phase durations and attributes. Made by the provider; confined to the thread
 * that runs {@link SandboxDriver#start} (not thread-safe).
 */
public final class StartContext implements PhaseRecorder {

    private final String sandboxId;
    private final String sessionId;
    private final long deadlineNanos;
    private final Duration timeout;
    private final Map<String, Long> phaseNanos = new LinkedHashMap<>();
    private final Map<String, String> attributes = new LinkedHashMap<>();
    private @Nullable StartType startType;

    static {
        StartContexts.register(StartContext::new);
    }

    /**
     * Made by the provider (a test of a driver makes one with the driver contract suite's {@code TestStartContexts}).
     *
     * @param sandboxId  the id the provider assigned (and put on STARTING)
     * @param sessionId  the provider's session id, for labelling resources
     * @param startNanos {@link System#nanoTime()} at the start of provisioning
     * @param timeout    the spec's startup timeout
     */
    private StartContext(String sandboxId, String sessionId, long startNanos, Duration timeout) {
        this.sandboxId = sandboxId;
        this.sessionId = sessionId;
        this.timeout = timeout;
        this.deadlineNanos = startNanos + timeout.toNanos();
    }

    /** The sandbox's id; drivers label and name resources with it. */
    public String sandboxId() {
        return sandboxId;
    }

    /** The provider's session id; drivers label resources with it so a reaper can find a dead JVM's leftovers. */
    public String sessionId() {
        return sessionId;
    }

    /** The startup timeout this start runs under. */
    public Duration timeout() {
        return timeout;
    }

    /** Time left before the startup timeout; zero or negative once it has run out. */
    public Duration remaining() {
        return Duration.ofNanos(deadlineNanos - System.nanoTime());
    }

    /**
     * Throws a {@link SandboxTimeoutException} naming the phase if the startup timeout has run out.
     * Drivers call it between phases and inside their wait loops.
     */
    public void checkDeadline(String phase) {
        if (deadlineNanos - System.nanoTime() <= 0) {
            throw new SandboxTimeoutException(sandboxId, timeout, "sandbox " + sandboxId + " did not become ready within startupTimeout "
                    + timeout + " (timed out during phase '" + phase + "')");
        }
    }

    /** Sets whether this start is cold or warm; a driver must set it before returning a handle. */
    public void startType(StartType type) {
        this.startType = type;
    }

    /** The start type the driver set, or null. */
    public @Nullable StartType startType() {
        return startType;
    }

    @Override
    public void recordPhase(String name, long nanos) {
        phaseNanos.merge(name, nanos, Long::sum);
    }

    /** Adds a fact worth keeping with this sample (e.g. {@code endpoint}); shows on READY/FAILED and on the sandbox. */
    public void attribute(String key, String value) {
        attributes.put(key, value);
    }

    /** The phases recorded so far, in order. */
    public Map<String, Duration> phases() {
        Map<String, Duration> out = new LinkedHashMap<>();
        phaseNanos.forEach((k, v) -> out.put(k, Duration.ofNanos(v)));
        return Collections.unmodifiableMap(out);
    }

    /** The attributes recorded so far. */
    public Map<String, String> attributes() {
        return Collections.unmodifiableMap(new LinkedHashMap<>(attributes));
    }
}
