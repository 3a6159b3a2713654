package dev.devs.sandbox.metrics;

import dev.devs.sandbox.StartType;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The main class of a child JVM that writes the JSON report and metrics.prom as fast as it can, until it is
 * killed. Argument: the directory. Prints {@code WRITING} once both files exist.
 */
public final class ReportWriterChild {

    private ReportWriterChild() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        SandboxLatencyReporter reporter = SandboxLatencyReporter.builder().reportPath(dir.resolve("sandbox_latency_benchmark.json")).build();
        SandboxMetrics metrics = new SandboxMetrics(reporter);
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        metrics.bindTo(registry);
        boolean said = false;
        for (long i = 0; ; i++) {
            for (int j = 0; j < 50; j++) {
                var event = Events.ready("docker", StartType.WARM, 100 + (i * 50 + j) % 997);
                reporter.onEvent(event);
                metrics.onEvent(event);
            }
            AtomicFiles.write(dir.resolve("metrics.prom"), registry.scrape().getBytes(StandardCharsets.UTF_8));
            if (!said && Files.exists(dir.resolve("sandbox_latency_benchmark.json"))) {
                System.out.println("WRITING");
                System.out.flush();
                said = true;
            }
        }
    }
}
