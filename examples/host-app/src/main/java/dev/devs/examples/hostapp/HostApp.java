package dev.devs.examples.hostapp;

import dev.devs.sandbox.ExecResult;
import dev.devs.sandbox.Sandbox;
import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.docker.DockerDriver;
import dev.devs.sandbox.metrics.SandboxLatencyReporter;
import dev.devs.sandbox.metrics.SandboxMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A host application using the library by coordinates: starts three sandboxes on the engine at
 * {@code DOCKER_HOST} (image {@code DEVS_TINY_IMAGE}, default {@code devs-sandbox-busybox:1}), runs a
 * command in each, stops them, and checks that a Prometheus scrape shows what happened. Exits 0 when it
 * did, 1 (naming what is missing) when not.
 */
public final class HostApp {

    private HostApp() {
    }

    public static void main(String[] args) throws Exception {
        String image = System.getenv().getOrDefault("DEVS_TINY_IMAGE", "devs-sandbox-busybox:1");
        Path reportDir = Files.createTempDirectory("host-app-report");
        PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        List<String> problems = new ArrayList<>();

        try (SandboxLatencyReporter reporter = SandboxLatencyReporter.builder()
                .reportPath(reportDir.resolve("sandbox_latency.json")).build()) {
            SandboxMetrics metrics = new SandboxMetrics(reporter);
            metrics.bindTo(prometheus);
            try (SandboxProvider provider = SandboxProvider.builder(new DockerDriver())
                    .listener(reporter).listener(metrics).build()) {
                SandboxSpec spec = SandboxSpec.builder(image).command("sleep", "600").build();
                // Class loading and the engine connection, paid here rather than by the first start that counts.
                System.out.println("warm-up took " + provider.warmUp(spec).toMillis() + " ms");
                for (int i = 0; i < 3; i++) {
                    try (Sandbox sandbox = provider.start(spec)) {
                        ExecResult r = sandbox.exec("sh", "-c", "echo $((6 * 7))");
                        System.out.println("sandbox " + i + ": exec said " + r.stdout().strip() + ", ready in "
                                + sandbox.provisioningDuration().toMillis() + " ms (" + sandbox.startType() + ")");
                        if (!"42".equals(r.stdout().strip())) {
                            problems.add("exec printed '" + r.stdout().strip() + "', not 42");
                        }
                    }
                }
            }
        }

        String scrape = prometheus.scrape();
        // Series lines by name, driver and start type, and their value; the runtime tag is the engine's (runc, ...).
        expect(problems, scrape, "sandbox_provisioning_duration_p50_ms", null);
        expect(problems, scrape, "sandbox_provisioning_duration_seconds_count", " 3");
        expect(problems, scrape, "sandbox_provisioning_phase_duration_seconds_count", " 3");
        expect(problems, scrape, "sandbox_stop_duration_seconds_count", null); // stopped or killed: a verdict of the engine
        scrape.lines().filter(l -> l.startsWith("sandbox_provisioning_duration_p50_ms")).forEach(System.out::println);
        if (!problems.isEmpty()) {
            System.err.println("host-app FAILED: " + String.join("; ", problems));
            System.exit(1);
        }
        System.out.println("host-app OK");
    }

    private static void expect(List<String> problems, String scrape, String name, String value) {
        boolean found = scrape.lines().anyMatch(l -> l.startsWith(name + "{driver=\"docker\"")
                && (name.startsWith("sandbox_stop") || l.contains("start_type=\"warm\""))
                && (value == null || l.endsWith(value)));
        if (!found) {
            problems.add("the scrape lacks " + name + " for docker" + (value == null ? "" : " with" + value));
        }
    }
}
