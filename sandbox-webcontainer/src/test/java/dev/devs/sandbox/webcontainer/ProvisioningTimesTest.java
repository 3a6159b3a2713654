package dev.devs.sandbox.webcontainer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.devs.sandbox.tck.RecordingListener;
import dev.devs.sandbox.Sandbox;
import dev.devs.sandbox.SandboxLifecycleEvent;
import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.StartType;
import dev.devs.sandbox.metrics.Percentiles;
import dev.devs.sandbox.webcontainer.testing.StandInRuntime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Prints cold and warm provisioning P50/P95 per phase against the loopback TEST STAND-IN (not StackBlitz).
 * Asserts only what must hold (every start READY, with every phase); timings are measured, not asserted here.
 * More samples: {@code -Dwebcontainer.timing.cold=10 -Dwebcontainer.timing.warm=50}.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ProvisioningTimesTest {

    @Test
    void coldAndWarmStartsReachReadyThroughEveryPhase() {
        // Few samples by default: what is checked is the phases; the numbers printed are a glance (raise the counts to
        // read them as more), the benchmarks module measures.
        int cold = Integer.getInteger("webcontainer.timing.cold", 2);
        int warm = Integer.getInteger("webcontainer.timing.warm", 4);
        BrowserLeakCheck leaks = new BrowserLeakCheck();
        RecordingListener events = new RecordingListener();
        try (StandInRuntime runtime = StandInRuntime.start()) {
            for (int i = 0; i < cold; i++) {
                // A fresh driver per cold sample: its first start launches a browser.
                WebContainerDriver driver = WebContainerDriver.builder().endpoint(runtime.endpoint()).build();
                try (SandboxProvider provider = SandboxProvider.builder(driver).listener(events).build()) {
                    provider.start(SandboxSpec.builder().build()).stop();
                    leaks.track(driver);
                    if (i == cold - 1) {
                        for (int j = 0; j < warm; j++) {
                            try (Sandbox sandbox = provider.start(SandboxSpec.builder().build())) {
                                assertThat(sandbox.startType()).isEqualTo(StartType.WARM);
                            }
                        }
                    }
                }
            }
        }
        leaks.assertNothingLeft();

        List<SandboxLifecycleEvent.Ready> ready = events.events().stream()
                .filter(SandboxLifecycleEvent.Ready.class::isInstance).map(SandboxLifecycleEvent.Ready.class::cast).toList();
        assertThat(ready).hasSize(cold + warm);
        System.out.println("WebContainer provisioning against the TEST STAND-IN (not StackBlitz), ms, nearest-rank:");
        for (StartType type : List.of(StartType.COLD, StartType.WARM)) {
            List<SandboxLifecycleEvent.Ready> series = ready.stream().filter(e -> e.startType() == type).toList();
            Map<String, List<Double>> byPhase = new LinkedHashMap<>();
            for (SandboxLifecycleEvent.Ready e : series) {
                e.phases().forEach((phase, d) -> byPhase.computeIfAbsent(phase, k -> new ArrayList<>()).add(ms(d)));
                byPhase.computeIfAbsent("total", k -> new ArrayList<>());
            }
            series.forEach(e -> byPhase.get("total").add(ms(e.duration())));
            List<String> expected = type == StartType.COLD
                    ? List.of("launch-browser", "new-context", "load-harness", "boot", "readiness", "total")
                    : List.of("new-context", "load-harness", "boot", "readiness", "total");
            assertThat(byPhase.keySet()).containsExactlyElementsOf(expected);
            byPhase.forEach((phase, samples) -> System.out.printf(Locale.ROOT, "  %-5s %-15s n=%-3d P50=%8.1f P95=%8.1f%n",
                    type.wireName(), phase, samples.size(), Percentiles.of(samples, 50).orElseThrow(),
                    Percentiles.of(samples, 95).orElseThrow()));
        }
    }

    private static double ms(Duration d) {
        return d.toNanos() / 1e6;
    }
}
