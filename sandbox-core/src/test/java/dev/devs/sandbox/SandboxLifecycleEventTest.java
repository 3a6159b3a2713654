package dev.devs.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What the event types guarantee by construction, beyond what the compiler already enforces. */
class SandboxLifecycleEventTest {
    private static final Instant T0 = Instant.parse("2026-11-26T17:45:51.123Z");

    @Test
    void readyCannotBeBuiltWithoutItsTimestampsDurationOrStartType() {
        assertThatThrownBy(() -> new SandboxLifecycleEvent.Ready("sbx-1", "docker", StartType.WARM, T0, null,
                Duration.ofMillis(5), Map.of(), Map.of())).isInstanceOf(NullPointerException.class).hasMessage("provisioningReadyAt");
        assertThatThrownBy(() -> new SandboxLifecycleEvent.Ready("sbx-1", "docker", StartType.WARM, null, T0,
                Duration.ofMillis(5), Map.of(), Map.of())).hasMessage("provisioningStartedAt");
        assertThatThrownBy(() -> new SandboxLifecycleEvent.Ready("sbx-1", "docker", StartType.WARM, T0, T0,
                null, Map.of(), Map.of())).hasMessage("duration");
        assertThatThrownBy(() -> new SandboxLifecycleEvent.Ready("sbx-1", "docker", null, T0, T0,
                Duration.ofMillis(5), Map.of(), Map.of())).hasMessage("startType");
    }

    @Test
    void aNegativeDurationIsRefusedNamingIt() {
        assertThatThrownBy(() -> new SandboxLifecycleEvent.Ready("sbx-1", "docker", StartType.WARM, T0, T0,
                Duration.ofMillis(-5), Map.of(), Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PT-0.005S");
    }

    @Test
    void startingCarriesNoDurationAndOnlyTheEndsOfAStepAreTimed() {
        SandboxLifecycleEvent starting = new SandboxLifecycleEvent.Starting("sbx-1", "docker", T0);

        assertThat(starting).isNotInstanceOf(SandboxLifecycleEvent.Timed.class);
        assertThat(starting.timestamp()).isEqualTo(starting.provisioningStartedAt());
        assertThat(SandboxLifecycleEvent.Timed.class.getPermittedSubclasses()).extracting(Class::getSimpleName)
                .containsExactlyInAnyOrder("Ready", "Failed", "Ended");
    }

    @Test
    void readyTimestampIsWhenItBecameReadyAndPhasesKeepTheirOrder() {
        Map<String, Duration> phases = new java.util.LinkedHashMap<>();
        phases.put("pull", Duration.ofMillis(3));
        phases.put("create", Duration.ofMillis(1));
        var ready = new SandboxLifecycleEvent.Ready("sbx-1", "docker", StartType.COLD, T0, T0.plusMillis(4),
                Duration.ofNanos(4_400_000), phases, null);

        assertThat(ready.timestamp()).isEqualTo(T0.plusMillis(4));
        assertThat(ready.durationMs()).isEqualTo(4);
        assertThat(ready.durationMillisExact()).isEqualTo(4.4);
        assertThat(ready.phases().keySet()).containsExactly("pull", "create");
        assertThat(ready.attributes()).isEmpty();
        assertThatThrownBy(() -> ready.phases().put("x", Duration.ZERO)).isInstanceOf(UnsupportedOperationException.class);
        assertThat(ready.toString()).isEqualTo("READY docker/sbx-1 (cold) in 4.4 ms phases={pull=PT0.003S, create=PT0.001S}");
    }

    @Test
    void killedCarriesTheReleaseErrorWhenThereWasOne() {
        var killed = new SandboxLifecycleEvent.Killed("sbx-1", "docker", StartType.WARM, T0, T0, T0, Duration.ZERO,
                Map.of(), Map.of(), Optional.of(new SandboxException("engine went away")));

        assertThat(killed.error()).get().extracting(Throwable::getMessage).isEqualTo("engine went away");
        assertThat(killed.toString()).contains("KILLED").contains("engine went away");
    }
}
