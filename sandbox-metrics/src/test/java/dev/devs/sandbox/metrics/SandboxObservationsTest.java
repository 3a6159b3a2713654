package dev.devs.sandbox.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.devs.sandbox.SandboxLifecycleEvent;
import dev.devs.sandbox.SandboxStartException;
import dev.devs.sandbox.StartType;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.tck.TestObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistryAssert;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The observation per provisioning, checked with Micrometer's own test kit. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SandboxObservationsTest {

    private final TestObservationRegistry registry = TestObservationRegistry.create();
    private final SandboxObservations observations = new SandboxObservations(registry);

    @Test
    void aReadyStartIsOneStoppedObservationWithItsPhasesAsEventsInOrder() {
        List<Observation.Event> events = new ArrayList<>();
        registry.observationConfig().observationHandler(new EventRecorder(events));
        SandboxLifecycleEvent.Ready ready = (SandboxLifecycleEvent.Ready) Events.ready("docker", StartType.WARM, 200);
        observations.onEvent(new SandboxLifecycleEvent.Starting(ready.sandboxId(), "docker", Events.T0));
        TestObservationRegistryAssert.assertThat(registry).hasSingleObservationThat()
                .hasNameEqualTo(SandboxObservations.OBSERVATION_NAME).hasBeenStarted().isNotStopped();

        observations.onEvent(ready);

        TestObservationRegistryAssert.assertThat(registry).hasSingleObservationThat()
                .hasNameEqualTo("sandbox.provisioning")
                .hasContextualNameEqualTo("sandbox start")
                .hasBeenStarted().hasBeenStopped()
                .hasLowCardinalityKeyValue("driver", "docker")
                .hasLowCardinalityKeyValue("start_type", "warm")
                .hasLowCardinalityKeyValue("outcome", "ready")
                .hasHighCardinalityKeyValue("sandbox.id", ready.sandboxId())
                .doesNotHaveLowCardinalityKeyValueWithKey("sandbox.id")
                .doesNotHaveError()
                .hasEvent("sandbox.phase.create")
                .hasEvent("sandbox.phase.start");
        // Events.ready: create 20 ms, then start 180 ms, back to back from T0.
        assertThat(events).extracting(Observation.Event::getName)
                .containsExactly("sandbox.phase.create", "sandbox.phase.start");
        assertThat(events).extracting(Observation.Event::getWallTime)
                .containsExactly(Events.T0.toEpochMilli() + 20, Events.T0.toEpochMilli() + 200);
    }

    @Test
    void aFailedStartStopsItsObservationWithTheErrorAndAnUnknownStartType() {
        String id = Events.newId();
        SandboxStartException error = new SandboxStartException(id, "image not found: nope:1");
        Map<String, Duration> phases = new LinkedHashMap<>();
        phases.put("pull", Events.ms(12));
        observations.onEvent(new SandboxLifecycleEvent.Starting(id, "docker", Events.T0));
        observations.onEvent(new SandboxLifecycleEvent.Failed(id, "docker", Optional.empty(), Events.T0, Events.T0,
                Events.ms(12), phases, Map.of(), error));

        TestObservationRegistryAssert.assertThat(registry).hasSingleObservationThat()
                .hasBeenStopped()
                .hasError(error)
                .hasLowCardinalityKeyValue("outcome", "failed")
                .hasLowCardinalityKeyValue("start_type", "unknown")
                .hasEvent("sandbox.phase.pull");
    }

    @Test
    void concurrentStartsAreSeparateObservationsAndAStartSeenOnlyHalfwayIsIgnored() {
        SandboxLifecycleEvent.Ready a = (SandboxLifecycleEvent.Ready) Events.ready("docker", StartType.COLD, 4000);
        SandboxLifecycleEvent.Ready b = (SandboxLifecycleEvent.Ready) Events.ready("webcontainer", StartType.WARM, 300);
        observations.onEvent(new SandboxLifecycleEvent.Starting(a.sandboxId(), "docker", Events.T0));
        observations.onEvent(new SandboxLifecycleEvent.Starting(b.sandboxId(), "webcontainer", Events.T0));
        observations.onEvent(b);
        observations.onEvent(a);
        observations.onEvent(Events.ready("docker", StartType.WARM, 100)); // no STARTING seen: nothing to stop
        observations.onEvent(Events.stopped("docker", SandboxLifecycleEvent.Type.STOPPED, 50));

        TestObservationRegistryAssert.assertThat(registry)
                .hasNumberOfObservationsWithNameEqualTo("sandbox.provisioning", 2)
                .forAllObservationsWithNameEqualTo("sandbox.provisioning",
                        o -> o.hasLowCardinalityKeyValueWithKey("outcome"))
                .hasAnObservation(o -> o.hasLowCardinalityKeyValue("driver", "docker")
                        .hasLowCardinalityKeyValue("start_type", "cold"))
                .hasAnObservation(o -> o.hasLowCardinalityKeyValue("driver", "webcontainer")
                        .hasLowCardinalityKeyValue("start_type", "warm"));
    }

    private record EventRecorder(List<Observation.Event> events) implements ObservationHandler<Observation.Context> {
        @Override
        public void onEvent(Observation.Event event, Observation.Context context) {
            events.add(event);
        }

        @Override
        public boolean supportsContext(Observation.Context context) {
            return true;
        }
    }
}
