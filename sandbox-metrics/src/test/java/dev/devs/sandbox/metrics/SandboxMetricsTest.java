package dev.devs.sandbox.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.devs.sandbox.SandboxLifecycleEvent.Type;
import dev.devs.sandbox.StartType;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SandboxMetricsTest {

    @TempDir
    Path dir;

    private SandboxLatencyReporter reporter;
    private SandboxMetrics metrics;
    private PrometheusMeterRegistry prometheus;

    @BeforeEach
    void setUp() {
        reporter = SandboxLatencyReporter.builder().reportPath(dir.resolve("r.json")).build();
        metrics = new SandboxMetrics(reporter);
        prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        metrics.bindTo(prometheus);
    }

    @AfterEach
    void tearDown() {
        reporter.close();
        prometheus.close();
    }

    private void feed(Object... events) {
        for (Object o : events) {
            dev.devs.sandbox.SandboxLifecycleEvent e = (dev.devs.sandbox.SandboxLifecycleEvent) o;
            reporter.onEvent(e);
            metrics.onEvent(e);
        }
    }

    @Test
    void scrapeTextHasTheThreeGaugesWithTagsAndTheHistogramBuckets() {
        for (int i = 1; i <= 20; i++) {
            feed(Events.ready("docker", StartType.WARM, 200 + i));
        }
        feed(Events.ready("docker", StartType.COLD, 4312.5),
                Events.failed("docker", null, "no engine"),
                Events.failed("webcontainer", StartType.COLD, "boot timed out"),
                Events.stopped("docker", Type.STOPPED, 60),
                Events.stopped("docker", Type.KILLED, 10_000));

        String text = prometheus.scrape();
        // Nearest rank over 201..220: P50 = 210, P95 = 219, P99 = 220.
        assertThat(text).contains(
                "sandbox_provisioning_duration_p50_ms{driver=\"docker\",runtime=\"default\",start_type=\"warm\"} 210.0",
                "sandbox_provisioning_duration_p95_ms{driver=\"docker\",runtime=\"default\",start_type=\"warm\"} 219.0",
                "sandbox_provisioning_duration_p99_ms{driver=\"docker\",runtime=\"default\",start_type=\"warm\"} 220.0",
                "sandbox_provisioning_duration_p95_ms{driver=\"docker\",runtime=\"default\",start_type=\"cold\"} 4312.5",
                "# TYPE sandbox_provisioning_duration_p50_ms gauge",
                "# TYPE sandbox_provisioning_duration_seconds histogram",
                "sandbox_provisioning_duration_seconds_bucket{driver=\"docker\",runtime=\"default\",start_type=\"warm\",le=\"10.0\"} 20",
                "sandbox_provisioning_duration_seconds_bucket{driver=\"docker\",runtime=\"default\",start_type=\"warm\",le=\"30.0\"} 20",
                "sandbox_provisioning_duration_seconds_bucket{driver=\"docker\",runtime=\"default\",start_type=\"warm\",le=\"+Inf\"} 20",
                "sandbox_provisioning_duration_seconds_count{driver=\"docker\",runtime=\"default\",start_type=\"cold\"} 1",
                "sandbox_provisioning_failures_total{driver=\"docker\"} 1.0",
                "sandbox_provisioning_failures_total{driver=\"webcontainer\"} 1.0",
                "sandbox_stop_duration_seconds_bucket{driver=\"docker\",outcome=\"stopped\",le=\"5.0\"} 1",
                "sandbox_stop_duration_seconds_bucket{driver=\"docker\",outcome=\"killed\",le=\"5.0\"} 0",
                "sandbox_stop_duration_seconds_count{driver=\"docker\",outcome=\"killed\"} 1");
        // A series with failures only has gauges, and they say NaN, not 0.
        assertThat(text).contains("sandbox_provisioning_duration_p95_ms{driver=\"webcontainer\",runtime=\"default\",start_type=\"cold\"} NaN");
        assertThat(text).as("never tagged by sandbox id").doesNotContain("sbx-");
    }

    @Test
    void eachRuntimeHasItsOwnGaugesAndHistogram() {
        for (int i = 1; i <= 10; i++) {
            feed(Events.ready("docker", StartType.WARM, 200 + i, Map.of("runtime", "runc")),
                    Events.ready("docker", StartType.WARM, 600 + i, Map.of("runtime", "runsc")));
        }
        String text = prometheus.scrape();
        assertThat(text).contains(
                "sandbox_provisioning_duration_p95_ms{driver=\"docker\",runtime=\"runc\",start_type=\"warm\"} 210.0",
                "sandbox_provisioning_duration_p95_ms{driver=\"docker\",runtime=\"runsc\",start_type=\"warm\"} 610.0",
                "sandbox_provisioning_duration_p50_ms{driver=\"docker\",runtime=\"runsc\",start_type=\"warm\"} 605.0",
                "sandbox_provisioning_duration_seconds_count{driver=\"docker\",runtime=\"runc\",start_type=\"warm\"} 10",
                "sandbox_provisioning_duration_seconds_count{driver=\"docker\",runtime=\"runsc\",start_type=\"warm\"} 10");
        assertThat(text).as("no mixed series").doesNotContain("runtime=\"default\"");
    }

    @Test
    void gaugesFollowTheRollingWindow() {
        SimpleMeterRegistry simple = new SimpleMeterRegistry();
        metrics.bindTo(simple);
        for (int i = 1; i <= 150; i++) {
            feed(Events.ready("docker", StartType.WARM, i));
        }
        // The registry check of docs/design.md "Prometheus", by exact name.
        for (String name : List.of("sandbox_provisioning_duration_p50_ms", "sandbox_provisioning_duration_p95_ms",
                "sandbox_provisioning_duration_p99_ms")) {
            assertThat(simple.find(name).tags("driver", "docker", "start_type", "warm", "runtime", "default").gauge()).as(name).isNotNull();
        }
        Gauge p95 = simple.get(SandboxMetrics.P95_GAUGE).tags("driver", "docker", "start_type", "warm", "runtime", "default").gauge();
        assertThat(p95.value()).isEqualTo(145.0);
        assertThat(simple.get(SandboxMetrics.PROVISIONING_TIMER).timer().count()).isEqualTo(150);
        simple.close();
    }

    @Test
    void bindingLateRegistersGaugesForSeriesTheReporterAlreadyHas() {
        reporter.onEvent(Events.ready("webcontainer", StartType.WARM, 480,
                Map.of("endpoint", "http://127.0.0.1:41234", "runtime", "test-stand-in")));
        SimpleMeterRegistry late = new SimpleMeterRegistry();
        new SandboxMetrics(reporter).bindTo(late);
        assertThat(late.get(SandboxMetrics.P50_GAUGE).tags("driver", "webcontainer", "start_type", "warm", "runtime", "test-stand-in").gauge().value())
                .isEqualTo(480.0);
        late.close();
    }

    @Test
    void bucketBoundsAreTheBuildersAndABoundThatIsNotPositiveIsRejected() {
        SandboxMetrics own = SandboxMetrics.builder(reporter)
                .provisioningBuckets(java.time.Duration.ofMillis(1234)).stopBuckets(java.time.Duration.ofMillis(777)).build();
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        own.bindTo(registry);
        own.onEvent(Events.ready("docker", StartType.WARM, 1000));
        own.onEvent(Events.stopped("docker", Type.STOPPED, 500));
        assertThat(registry.scrape())
                .contains("sandbox_provisioning_duration_seconds_bucket{driver=\"docker\",runtime=\"default\",start_type=\"warm\",le=\"1.234\"} 1")
                .contains("sandbox_stop_duration_seconds_bucket{driver=\"docker\",outcome=\"stopped\",le=\"0.777\"} 1");
        registry.close();
        assertThatThrownBy(() -> SandboxMetrics.builder(reporter).provisioningBuckets(java.time.Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("provisioningBuckets PT0S is not positive");
    }

    @Test
    void phaseHistogramHasOneSeriesPerDriverStartTypeAndPhaseFromReadyAndFailedStarts() {
        feed(Events.ready("docker", StartType.WARM, 200), Events.ready("docker", StartType.WARM, 400),
                Events.ready("docker", StartType.COLD, 4000));
        // A start that failed in its readiness phase before it had decided its start type.
        Map<String, java.time.Duration> phases = new java.util.LinkedHashMap<>();
        phases.put("create", Events.ms(15));
        phases.put("readiness", Events.ms(3000));
        feed(new dev.devs.sandbox.SandboxLifecycleEvent.Failed("sbx-failed", "docker", java.util.Optional.empty(),
                Events.T0, Events.T0, Events.ms(3015), phases, Map.of(),
                new dev.devs.sandbox.SandboxStartException("sbx-failed", "probe failed")));

        String text = prometheus.scrape();
        assertThat(text).contains(
                "# TYPE sandbox_provisioning_phase_duration_seconds histogram",
                // Events.ready splits a start into create (10 %) and start (90 %): 2 warm starts, 20 + 40 ms create.
                "sandbox_provisioning_phase_duration_seconds_count{driver=\"docker\",phase=\"create\",start_type=\"warm\"} 2",
                "sandbox_provisioning_phase_duration_seconds_sum{driver=\"docker\",phase=\"create\",start_type=\"warm\"} 0.06",
                "sandbox_provisioning_phase_duration_seconds_count{driver=\"docker\",phase=\"start\",start_type=\"warm\"} 2",
                "sandbox_provisioning_phase_duration_seconds_sum{driver=\"docker\",phase=\"start\",start_type=\"cold\"} 3.6",
                "sandbox_provisioning_phase_duration_seconds_sum{driver=\"docker\",phase=\"readiness\",start_type=\"unknown\"} 3.0",
                "sandbox_provisioning_phase_duration_seconds_bucket{driver=\"docker\",phase=\"start\",start_type=\"warm\",le=\"+Inf\"} 2");
        // The existing meters are still there beside it, with their names.
        assertThat(text).contains("sandbox_provisioning_duration_seconds_count{driver=\"docker\",runtime=\"default\",start_type=\"warm\"} 2",
                "sandbox_provisioning_duration_p50_ms{driver=\"docker\",runtime=\"default\",start_type=\"warm\"} 200.0");
    }
}
