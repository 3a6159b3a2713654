package dev.devs.sandbox.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.devs.sandbox.ExecResult;
import dev.devs.sandbox.spi.PhaseRecorder;
import dev.devs.sandbox.tck.RecordingListener;
import dev.devs.sandbox.Sandbox;
import dev.devs.sandbox.spi.SandboxDriver;
import dev.devs.sandbox.SandboxLifecycleEvent;
import dev.devs.sandbox.SandboxLifecycleEvent.Type;
import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.SandboxStartException;
import dev.devs.sandbox.spi.StartContext;
import dev.devs.sandbox.StartType;
import dev.devs.sandbox.StopOutcome;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reporter as a provider's listener, beside the core's RecordingListener: what it keeps must be exactly
 * what the provider emitted. The driver here is an in-process one (no container): the reporter is under
 * test, not a driver, and the events it gets are the provider's own, with the provider's own timing.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ProviderFedReporterTest {

    @TempDir
    Path dir;

    /** Alternates warm and cold, fails every fifth start, takes a millisecond or two. */
    static final class InProcessDriver implements SandboxDriver {
        private final AtomicInteger starts = new AtomicInteger();

        @Override
        public String name() {
            return "inprocess";
        }

        @Override
        public Handle start(SandboxSpec spec, StartContext context) throws InterruptedException {
            int n = starts.incrementAndGet();
            context.startType(n % 2 == 0 ? StartType.WARM : StartType.COLD);
            context.attribute("image", spec.image());
            long t = System.nanoTime();
            Thread.sleep(1 + n % 3);
            context.recordPhase("create", System.nanoTime() - t);
            if (n % 5 == 0) {
                throw new SandboxStartException(context.sandboxId(), "start " + n + " failed on purpose");
            }
            return new Handle() {
                @Override
                public ExecResult exec(List<String> command, Duration timeout) {
                    throw new UnsupportedOperationException("no exec in this test");
                }

                @Override
                public StopOutcome stop(Duration gracePeriod, PhaseRecorder phases) {
                    return n % 3 == 0 ? StopOutcome.KILLED : StopOutcome.STOPPED;
                }

                @Override
                public boolean isAlive() {
                    return true;
                }
            };
        }

        @Override
        public void close() {
        }
    }

    @Test
    void keepsExactlyWhatTheProviderEmitted() throws Exception {
        Path report = dir.resolve("reports/r.json");
        RecordingListener recording = new RecordingListener();
        try (SandboxLatencyReporter reporter = SandboxLatencyReporter.builder().reportPath(report).build()) {
            try (SandboxProvider provider = SandboxProvider.builder(new InProcessDriver())
                    .listener(recording).listener(reporter).build()) {
                SandboxSpec spec = SandboxSpec.builder("inprocess:1").build();
                for (int i = 1; i <= 20; i++) {
                    if (i % 5 == 0) {
                        assertThatThrownBy(() -> provider.start(spec)).isInstanceOf(SandboxStartException.class);
                    } else {
                        Sandbox sb = provider.start(spec);
                        provider.stop(sb);
                    }
                }
            }
            LatencyStats stats = reporter.stats();
            List<SandboxLifecycleEvent> events = recording.events();
            for (StartType st : List.of(StartType.WARM, StartType.COLD)) {
                List<SandboxLifecycleEvent.Ready> readies = events.stream()
                        .filter(e -> e instanceof SandboxLifecycleEvent.Ready r && r.startType() == st)
                        .map(SandboxLifecycleEvent.Ready.class::cast).toList();
                List<Double> expected = readies.stream().map(e -> LatencyWindows.millis(e.duration())).toList();
                LatencyStats.Series s = stats.series("inprocess", st).orElseThrow();
                assertThat(s.samples()).extracting(LatencyStats.Sample::durationMs).containsExactlyElementsOf(expected);
                assertThat(s.samples()).extracting(LatencyStats.Sample::sandboxId)
                        .containsExactlyElementsOf(readies.stream().map(SandboxLifecycleEvent::sandboxId).toList());
                assertThat(s.failures()).isEqualTo(events.stream()
                        .filter(e -> e instanceof SandboxLifecycleEvent.Failed f && f.startType().equals(java.util.Optional.of(st))).count());
                assertThat(s.attribute("image")).hasValue("inprocess:1");
                assertThat(s.samples()).allSatisfy(sample -> assertThat(sample.phasesMs()).containsKey("create"));
            }
            LatencyStats.Stops stops = stats.stops("inprocess").orElseThrow();
            assertThat(stops.stopped()).isEqualTo(events.stream().filter(e -> e.type() == Type.STOPPED).count());
            assertThat(stops.killed()).isEqualTo(events.stream().filter(e -> e.type() == Type.KILLED).count());
            assertThat(stops.count()).isEqualTo(16);
        }
        JsonNode json = new ObjectMapper().readTree(report.toFile());
        assertThat(json.get("series")).hasSize(2);
        assertThat(json.get("series").get(0).get("count").asLong() + json.get("series").get(1).get("count").asLong()).isEqualTo(16);
        assertThat(json.get("failures").get(0).get("lastError").asText()).contains("failed on purpose");
    }
}
