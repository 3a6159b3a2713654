package dev.devs.sandbox.metrics;

import dev.devs.sandbox.SandboxLifecycleEvent;
import dev.devs.sandbox.SandboxLifecycleListener;
import dev.devs.sandbox.StartType;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Each provisioning as one Micrometer {@link Observation}, so that a host application that traces
 * (micrometer-tracing with an OpenTelemetry bridge, or any {@code ObservationHandler}) sees sandbox starts
 * beside its own work:
 * <ul>
 *   <li>name {@value #OBSERVATION_NAME}, contextual name {@code "sandbox start"};</li>
 *   <li>started on STARTING, stopped on READY or FAILED (with {@link Observation#error} set to the start
 *       failure);</li>
 *   <li>low-cardinality key values {@code driver}, {@code start_type} ({@code unknown} when a start failed
 *       before deciding it) and {@code outcome} ({@code ready} | {@code failed}); the sandbox id is a
 *       high-cardinality key value ({@code sandbox.id}), which handlers put on spans, never on meters;</li>
 *   <li>one {@link Observation.Event} per phase (pull, create, start, readiness, boot, ...) named
 *       {@code sandbox.phase.<phase>}, whose wall time is the end of that phase (the phases ran back to back
 *       from the provisioning start), and whose contextual name carries the duration. The phases are known
 *       when the start ends, so the events are signalled just before the observation stops.</li>
 * </ul>
 *
 * <pre>{@code
 * SandboxProvider provider = SandboxProvider.builder(driver)
 *         .listener(new SandboxObservations(observationRegistry))
 *         .build();
 * }</pre>
 *
 * <p>The observation is started on the thread that delivers STARTING (the caller of {@code start()}, or the
 * provider's executor for {@code startAsync()}), so an observation current on the caller's thread becomes its
 * parent. No scope is opened: the driver's own threads do the work. Thread-safe; a start that this listener
 * did not see begin (registered mid-start) is ignored; nothing here blocks or does I/O beyond what the
 * registry's handlers do.
 */
public final class SandboxObservations implements SandboxLifecycleListener {

    /** Name of the provisioning observation (a timer named so by Micrometer's default meter handler). */
    public static final String OBSERVATION_NAME = "sandbox.provisioning";
    /** Prefix of the per-phase event names. */
    public static final String PHASE_EVENT_PREFIX = "sandbox.phase.";

    private final ObservationRegistry registry;
    private final Map<String, Observation> inFlight = new ConcurrentHashMap<>();

    /** Observations go to {@code registry}; with {@link ObservationRegistry#NOOP} this listener does nothing. */
    public SandboxObservations(ObservationRegistry registry) {
        this.registry = Objects.requireNonNull(registry, "registry");
    }

    @Override
    public void onEvent(SandboxLifecycleEvent event) {
        if (event instanceof SandboxLifecycleEvent.Starting starting) {
            Observation observation = Observation.createNotStarted(OBSERVATION_NAME, registry)
                    .contextualName("sandbox start")
                    .lowCardinalityKeyValue("driver", starting.driver())
                    .highCardinalityKeyValue("sandbox.id", starting.sandboxId());
            inFlight.put(starting.sandboxId(), observation.start());
        } else if (event instanceof SandboxLifecycleEvent.Ready ready) {
            Observation observation = inFlight.remove(ready.sandboxId());
            if (observation != null) {
                end(observation, ready.startType().wireName(), "ready", ready.provisioningStartedAt(), ready.phases());
            }
        } else if (event instanceof SandboxLifecycleEvent.Failed failed) {
            Observation observation = inFlight.remove(failed.sandboxId());
            if (observation != null) {
                observation.error(failed.error());
                end(observation, failed.startType().map(StartType::wireName).orElse(SandboxMetrics.UNKNOWN_START_TYPE),
                        "failed", failed.provisioningStartedAt(), failed.phases());
            }
        }
        // STOPPED / KILLED: the provisioning observation ended at READY.
    }

    private static void end(Observation observation, String startType, String outcome, Instant startedAt,
                            Map<String, Duration> phases) {
        observation.lowCardinalityKeyValue("start_type", startType).lowCardinalityKeyValue("outcome", outcome);
        Instant at = startedAt;
        for (Map.Entry<String, Duration> phase : phases.entrySet()) {
            at = at.plus(phase.getValue());
            observation.event(Observation.Event.of(PHASE_EVENT_PREFIX + phase.getKey(),
                    phase.getKey() + " " + phase.getValue().toNanos() / 1_000_000.0 + " ms", at.toEpochMilli()));
        }
        observation.stop();
    }
}
