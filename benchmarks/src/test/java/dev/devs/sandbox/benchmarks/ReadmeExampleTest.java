package dev.devs.sandbox.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.devs.sandbox.ExecResult;
import dev.devs.sandbox.Sandbox;
import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.StartType;
import dev.devs.sandbox.docker.DockerDriver;
import dev.devs.sandbox.metrics.SandboxLatencyReporter;
import dev.devs.sandbox.metrics.SandboxMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's usage example, run as written (but for the image: the default build has only the tiny
 * busybox image, so the command is a shell one), so that the first code a newcomer copies stays true:
 * reporter, metrics and provider wired together, a start, an exec, and what each of them then shows.
 */
class ReadmeExampleTest {

    @Test
    @Timeout(60)
    void readmeUsageExampleWorksEndToEnd(@TempDir Path dir) throws Exception {
        String image = System.getenv().getOrDefault("DEVS_TINY_IMAGE", "devs-sandbox-busybox:1");
        Path report = dir.resolve("reports/sandbox_latency_benchmark.json");
        PrometheusMeterRegistry meterRegistry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

        SandboxLatencyReporter reporter = SandboxLatencyReporter.builder().reportPath(report).build();
        SandboxMetrics metrics = new SandboxMetrics(reporter);
        metrics.bindTo(meterRegistry);
        ExecResult r;
        StartType startType;
        try (reporter;
             SandboxProvider provider = SandboxProvider.builder(new DockerDriver())
                     .listener(reporter).listener(metrics).build();
             Sandbox sandbox = provider.start(SandboxSpec.builder(image)
                     .command("sleep", "3600")
                     .readinessProbe("sh", "-c", "echo ok")
                     .build())) {
            r = sandbox.exec("sh", "-c", "echo $((6 * 7))");
            startType = sandbox.startType();
        }

        assertThat(r.exitCode()).isZero();
        assertThat(r.stdout().trim()).isEqualTo("42");
        assertThat(startType).isEqualTo(StartType.WARM);
        assertThat(Files.readString(report)).contains("\"driver\" : \"docker\"").contains("\"p95Ms\"");
        String scrape = PrometheusText.scrape(meterRegistry);
        assertThat(scrape).contains("sandbox_provisioning_duration_p95_ms{driver=\"docker\",runtime=\"runc\",start_type=\"warm\"}");
        // One stop, timed; whether `sleep` left within the grace period is not what this example is about.
        assertThat(scrape).containsPattern("sandbox_stop_duration_seconds_count\\{driver=\"docker\",outcome=\"(stopped|killed)\"} 1");
    }
}
