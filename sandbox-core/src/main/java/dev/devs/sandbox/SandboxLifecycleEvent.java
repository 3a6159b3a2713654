package dev.devs.sandbox;

import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One step in a sandbox's life, as emitted by a {@link SandboxProvider} to its
 * {@link SandboxLifecycleListener}s.
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li>Every {@code start()} that passed validation emits {@link Type#STARTING} first, then exactly one of
 *       {@link Type#READY} or {@link Type#FAILED}. Nothing else, ever. A spec the driver rejects in
 *       {@link SandboxDriver#validate} throws before STARTING and emits nothing.</li>
 *   <li>READY always carries {@link #provisioningStartedAt()}, {@link #provisioningReadyAt()},
 *       {@link #duration()} and {@link #startType()}. Timestamps come from the provider's {@link java.time.Clock};
 *       durations from the monotonic {@link System#nanoTime()}, so they are right even if the wall clock jumps.</li>
 *   <li>FAILED carries {@link #error()}, {@link #provisioningStartedAt()} and the time until the failure in
 *       {@link #duration()}; {@link #startType()} when the driver had decided it.</li>
 *   <li>Every {@code stop()} of a live sandbox emits exactly one of {@link Type#STOPPED} or {@link Type#KILLED},
 *       with the stop's own duration in {@link #duration()}; a second {@code stop()} emits nothing.</li>
 *   <li>{@link #phases()} holds per-phase durations in the order the phases ran (for READY and FAILED:
 *       e.g. {@code pull, create, start, readiness}; for STOPPED/KILLED: the driver's stop phases).</li>
 * </ul>
 *
 * @param type                  which step
 * @param sandboxId             the sandbox's id, unique per provider
 * @param driver                the driver's name: {@code docker}, {@code webcontainer}, ...
 * @param startType             cold or warm; null on STARTING and on a FAILED that happened before the driver knew
 * @param timestamp             when the event was emitted, from the provider's clock
 * @param provisioningStartedAt when {@code start()} began; set on every event
 * @param provisioningReadyAt   when the sandbox became ready; set on READY, STOPPED and KILLED
 * @param duration              READY: provisioning time; FAILED: time until the failure; STOPPED/KILLED: the
 *                              stop's time; null on STARTING
 * @param phases                per-phase durations in order (unmodifiable, possibly empty)
 * @param attributes            driver facts worth keeping with a sample (e.g. the WebContainer endpoint)
 * @param error                 the failure on FAILED (and on STOPPED/KILLED if releasing failed); otherwise null
 */
public record SandboxLifecycleEvent(
        Type type,
        String sandboxId,
        String driver,
        StartType startType,
        Instant timestamp,
        Instant provisioningStartedAt,
        Instant provisioningReadyAt,
        Duration duration,
        Map<String, Duration> phases,
        Map<String, String> attributes,
        Throwable error) {

    /** The lifecycle steps. */
    public enum Type {
        /** {@code start()} began; the driver is about to be called. */
        STARTING,
        /** The sandbox is ready for use. Terminal for the start. */
        READY,
        /** The start failed; whatever it created has been removed. Terminal for the start. */
        FAILED,
        /** The sandbox exited within the grace period after {@code stop()} and was removed. */
        STOPPED,
        /** The sandbox had to be killed (or had already died) and was removed. */
        KILLED;

        /** Whether this type ends a start (READY or FAILED). */
        public boolean endsStart() {
            return this == READY || this == FAILED;
        }

        /** Whether this type ends a sandbox's life (STOPPED or KILLED). */
        public boolean endsLife() {
            return this == STOPPED || this == KILLED;
        }
    }

    public SandboxLifecycleEvent {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(sandboxId, "sandboxId");
        Objects.requireNonNull(driver, "driver");
        Objects.requireNonNull(timestamp, "timestamp");
        Objects.requireNonNull(provisioningStartedAt, "provisioningStartedAt");
        phases = phases == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(phases));
        attributes = attributes == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(attributes));
        switch (type) {
            case READY -> {
                Objects.requireNonNull(provisioningReadyAt, "READY needs provisioningReadyAt");
                Objects.requireNonNull(duration, "READY needs duration");
                Objects.requireNonNull(startType, "READY needs startType");
            }
            case FAILED -> {
                Objects.requireNonNull(error, "FAILED needs error");
                Objects.requireNonNull(duration, "FAILED needs duration");
            }
            case STOPPED, KILLED -> Objects.requireNonNull(duration, type + " needs duration");
            case STARTING -> { }
        }
    }

    /** {@link #duration()} in whole milliseconds, rounded half up; null where there is no duration. */
    public Long durationMs() {
        return duration == null ? null : (duration.toNanos() + 500_000) / 1_000_000;
    }

    /** {@link #duration()} in milliseconds with sub-millisecond precision; NaN where there is no duration. */
    public double durationMillisExact() {
        return duration == null ? Double.NaN : duration.toNanos() / 1_000_000.0;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(type.name()).append(' ').append(driver).append('/').append(sandboxId);
        if (startType != null) {
            sb.append(" (").append(startType.wireName()).append(')');
        }
        if (duration != null) {
            sb.append(" in ").append(String.format(java.util.Locale.ROOT, "%.1f ms", durationMillisExact()));
        }
        if (!phases.isEmpty()) {
            sb.append(" phases=").append(phases);
        }
        if (error != null) {
            sb.append(" error=").append(error);
        }
        return sb.toString();
    }
}
