package dev.devs.sandbox;

import dev.devs.sandbox.spi.SandboxDriver;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * One step in a sandbox's life, as emitted by a {@link SandboxProvider} to its
 * {@link SandboxLifecycleListener}s: one record type per step, so that the type says which fields an
 * event has. A {@link Ready} cannot be built without its timestamps, duration and start type; a
 * {@link Starting} has none of them.
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li>Every {@code start()} that passed validation emits {@link Starting} first, then exactly one of
 *       {@link Ready} or {@link Failed}. Nothing else, ever. A spec the driver rejects in
 *       {@link SandboxDriver#validate} throws before {@code Starting} and emits nothing.</li>
 *   <li>Timestamps come from the provider's {@link java.time.Clock}; durations from the monotonic
 *       {@link System#nanoTime()}, so they are right even if the wall clock jumps.</li>
 *   <li>Every {@code stop()} of a live sandbox emits exactly one of {@link Stopped} or {@link Killed}, with the
 *       stop's own duration; a second {@code stop()} emits nothing.</li>
 *   <li>{@link Timed#phases()} holds per-phase durations in the order the phases ran (for a start: e.g.
 *       {@code pull, create, start, readiness}; for a stop: the driver's stop phases).</li>
 * </ul>
 * Listeners usually branch on {@link #type()} or with {@code instanceof} on the record types.
 */
public sealed interface SandboxLifecycleEvent
        permits SandboxLifecycleEvent.Starting, SandboxLifecycleEvent.Timed {

    /** Which step this is; equivalent to the record type, handy for a {@code switch}. */
    Type type();

    /** The sandbox's id, unique per provider. */
    String sandboxId();

    /** The driver's name: {@code docker}, {@code webcontainer}, ... */
    String driver();

    /** When the event was emitted, from the provider's clock. */
    Instant timestamp();

    /** When {@code start()} began, from the provider's clock. */
    Instant provisioningStartedAt();

    /** Driver facts worth keeping with a sample (e.g. the image or the WebContainer endpoint); possibly empty. */
    Map<String, String> attributes();

    /** The lifecycle steps. */
    enum Type {
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

    /** The events that end a step and so carry how long it took: every type but {@link Starting}. */
    sealed interface Timed extends SandboxLifecycleEvent permits Ready, Failed, Ended {

        /** READY: provisioning time; FAILED: time until the failure; STOPPED/KILLED: the stop's time. */
        Duration duration();

        /** Per-phase durations in the order they ran (unmodifiable, possibly empty). */
        Map<String, Duration> phases();

        /** {@link #duration()} in whole milliseconds, rounded half up. */
        default long durationMs() {
            return (duration().toNanos() + 500_000) / 1_000_000;
        }

        /** {@link #duration()} in milliseconds with sub-millisecond precision. */
        default double durationMillisExact() {
            return duration().toNanos() / 1_000_000.0;
        }
    }

    /** The end of a ready sandbox's life: {@link Stopped} or {@link Killed}. */
    sealed interface Ended extends Timed permits Stopped, Killed {

        /** How the sandbox had been started. */
        StartType startType();

        /** When it had become ready. */
        Instant provisioningReadyAt();
    }

    /**
     * {@code start()} began. Its timestamp is {@link #provisioningStartedAt()}.
     *
     * @param sandboxId             the id the provider assigned
     * @param driver                the driver's name
     * @param provisioningStartedAt when {@code start()} began
     */
    record Starting(String sandboxId, String driver, Instant provisioningStartedAt) implements SandboxLifecycleEvent {
        public Starting {
            EventSupport.requireNonNull("sandboxId", sandboxId, "driver", driver,
                    "provisioningStartedAt", provisioningStartedAt);
        }

        @Override
        public Type type() {
            return Type.STARTING;
        }

        @Override
        public Instant timestamp() {
            return provisioningStartedAt;
        }

        @Override
        public Map<String, String> attributes() {
            return Map.of();
        }

        @Override
        public String toString() {
            return EventSupport.describe(this, null, null, Map.of(), null);
        }
    }

    /**
     * The sandbox is ready. Its timestamp is {@link #provisioningReadyAt()}.
     *
     * @param sandboxId             the sandbox's id
     * @param driver                the driver's name
     * @param startType             cold, warm or pooled, as the driver decided
     * @param provisioningStartedAt when {@code start()} began
     * @param provisioningReadyAt   when the sandbox became ready
     * @param duration              provisioning time on the monotonic clock
     * @param phases                per-phase durations in order
     * @param attributes            driver facts
     */
    record Ready(String sandboxId, String driver, StartType startType, Instant provisioningStartedAt,
                 Instant provisioningReadyAt, Duration duration, Map<String, Duration> phases,
                 Map<String, String> attributes) implements Timed {
        public Ready {
            EventSupport.requireNonNull("sandboxId", sandboxId, "driver", driver, "startType", startType,
                    "provisioningStartedAt", provisioningStartedAt, "provisioningReadyAt", provisioningReadyAt);
            duration = EventSupport.nonNegative(duration);
            phases = EventSupport.copy(phases);
            attributes = EventSupport.copy(attributes);
        }

        @Override
        public Type type() {
            return Type.READY;
        }

        @Override
        public Instant timestamp() {
            return provisioningReadyAt;
        }

        @Override
        public String toString() {
            return EventSupport.describe(this, startType, duration, phases, null);
        }
    }

    /**
     * The start failed; whatever it created has been removed.
     *
     * @param sandboxId             the sandbox's id
     * @param driver                the driver's name
     * @param startType             the start type, when the driver had decided it before failing
     * @param timestamp             when the failure was reported
     * @param provisioningStartedAt when {@code start()} began
     * @param duration              time from the start until the failure
     * @param phases                the phases that ran, in order
     * @param attributes            driver facts gathered before the failure
     * @param error                 the failure, as thrown by {@code start()}
     */
    record Failed(String sandboxId, String driver, Optional<StartType> startType, Instant timestamp,
                  Instant provisioningStartedAt, Duration duration, Map<String, Duration> phases,
                  Map<String, String> attributes, SandboxStartException error) implements Timed {
        public Failed {
            EventSupport.requireNonNull("sandboxId", sandboxId, "driver", driver,
                    "startType (use Optional.empty())", startType, "timestamp", timestamp,
                    "provisioningStartedAt", provisioningStartedAt, "error", error);
            duration = EventSupport.nonNegative(duration);
            phases = EventSupport.copy(phases);
            attributes = EventSupport.copy(attributes);
        }

        @Override
        public Type type() {
            return Type.FAILED;
        }

        @Override
        public String toString() {
            return EventSupport.describe(this, startType.orElse(null), duration, phases, error);
        }
    }

    /**
     * The sandbox exited within its grace period after {@code stop()} and was removed.
     *
     * @param sandboxId             the sandbox's id
     * @param driver                the driver's name
     * @param startType             how it had been started
     * @param timestamp             when the stop ended
     * @param provisioningStartedAt when its start began
     * @param provisioningReadyAt   when it had become ready
     * @param duration              the stop's time
     * @param phases                the driver's stop phases, in order
     * @param attributes            driver facts, as on READY
     */
    record Stopped(String sandboxId, String driver, StartType startType, Instant timestamp,
                   Instant provisioningStartedAt, Instant provisioningReadyAt, Duration duration,
                   Map<String, Duration> phases, Map<String, String> attributes) implements Ended {
        public Stopped {
            EventSupport.requireNonNull("sandboxId", sandboxId, "driver", driver, "startType", startType,
                    "timestamp", timestamp, "provisioningStartedAt", provisioningStartedAt,
                    "provisioningReadyAt", provisioningReadyAt);
            duration = EventSupport.nonNegative(duration);
            phases = EventSupport.copy(phases);
            attributes = EventSupport.copy(attributes);
        }

        @Override
        public Type type() {
            return Type.STOPPED;
        }

        @Override
        public String toString() {
            return EventSupport.describe(this, startType, duration, phases, null);
        }
    }

    /**
     * The sandbox had to be killed, had already died, or could not be released cleanly.
     *
     * @param sandboxId             the sandbox's id
     * @param driver                the driver's name
     * @param startType             how it had been started
     * @param timestamp             when the stop ended
     * @param provisioningStartedAt when its start began
     * @param provisioningReadyAt   when it had become ready
     * @param duration              the stop's time
     * @param phases                the driver's stop phases, in order
     * @param attributes            driver facts, as on READY
     * @param error                 why releasing failed, when it did ({@code stop()} throws it too)
     */
    record Killed(String sandboxId, String driver, StartType startType, Instant timestamp,
                  Instant provisioningStartedAt, Instant provisioningReadyAt, Duration duration,
                  Map<String, Duration> phases, Map<String, String> attributes,
                  Optional<SandboxException> error) implements Ended {
        public Killed {
            EventSupport.requireNonNull("sandboxId", sandboxId, "driver", driver, "startType", startType,
                    "timestamp", timestamp, "provisioningStartedAt", provisioningStartedAt,
                    "provisioningReadyAt", provisioningReadyAt, "error (use Optional.empty())", error);
            duration = EventSupport.nonNegative(duration);
            phases = EventSupport.copy(phases);
            attributes = EventSupport.copy(attributes);
        }

        @Override
        public Type type() {
            return Type.KILLED;
        }

        @Override
        public String toString() {
            return EventSupport.describe(this, startType, duration, phases, error.orElse(null));
        }
    }
}
