package dev.devs.sandbox;

import dev.devs.sandbox.spi.PhaseRecorder;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** Phase durations of one stop, in the order first recorded, and the stop's event made of them. Thread-safe. */
final class PhaseTimes implements PhaseRecorder {
    final Map<String, Long> nanos = new LinkedHashMap<>();

    @Override
    public synchronized void recordPhase(String name, long n) {
        nanos.merge(name, n, Long::sum);
    }

    /** The stop's event: STOPPED when it exited on request and was released, else KILLED (with the failure, if any). */
    synchronized SandboxLifecycleEvent stopEvent(Sandbox sandbox, String driver, StopOutcome outcome, SandboxException failure,
                                                 Duration duration, Instant endedAt) {
        Map<String, Duration> phases = new LinkedHashMap<>();
        nanos.forEach((k, v) -> phases.put(k, Duration.ofNanos(v)));
        return outcome == StopOutcome.STOPPED && failure == null
                ? new SandboxLifecycleEvent.Stopped(sandbox.id(), driver, sandbox.startType(), endedAt,
                        sandbox.provisioningStartedAt(), sandbox.provisioningReadyAt(), duration, Collections.unmodifiableMap(phases), sandbox.ready().attributes())
                : new SandboxLifecycleEvent.Killed(sandbox.id(), driver, sandbox.startType(), endedAt,
                        sandbox.provisioningStartedAt(), sandbox.provisioningReadyAt(), duration, Collections.unmodifiableMap(phases), sandbox.ready().attributes(),
                        Optional.ofNullable(failure));
    }
}
