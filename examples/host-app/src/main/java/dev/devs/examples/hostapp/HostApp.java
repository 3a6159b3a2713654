package dev.devs.examples.hostapp;

import dev.devs.sandbox.ExecResult;
import dev.devs.sandbox.ExecSpec;
import dev.devs.sandbox.Sandbox;
import dev.devs.sandbox.SandboxEndpoint;
import dev.devs.sandbox.SandboxProcess;
import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.docker.DockerDriver;
import dev.devs.sandbox.metrics.SandboxLatencyReporter;
import dev.devs.sandbox.metrics.SandboxMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A host application using the library by coordinates: starts three sandboxes on the engine at
 * {@code DOCKER_HOST} (image {@code DEVS_TINY_IMAGE}, default {@code devs-sandbox-busybox:1}), runs a
 * command in each, stops them, and checks that a Prometheus scrape shows what happened. Then it uses one
 * sandbox's working surface: copies a small web site in, starts a web server in the background, fetches a page
 * through the sandbox's endpoint (the sandbox itself has no network), streams a command's output, and copies the
 * server's log out. Exits 0 when all of it worked, 1 (naming what is missing) when not.
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

        workingSurface(image, problems);

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

    /** Files in, a background server, a port, a stream, files out: one sandbox's working surface. */
    private static void workingSurface(String image, List<String> problems) throws Exception {
        Path site = Files.createTempDirectory("host-app-site");
        Files.writeString(site.resolve("index.html"), "<h1>hello from a sandbox</h1>\n");
        Path logs = Files.createTempDirectory("host-app-logs");
        try (SandboxProvider provider = SandboxProvider.of(new DockerDriver());
             Sandbox web = provider.start(SandboxSpec.builder(image).command("sleep", "600").port(8080).build())) {
            web.files().copyIn(site, "www");
            web.files().mkdirs("logs");
            // BusyBox's httpd, verbose, logging each request to a file the host copies out afterwards.
            SandboxProcess server = web.start(ExecSpec.builder("sh", "-c",
                    "exec httpd -f -vv -p 127.0.0.1:8080 -h /workspace/www 2>> /workspace/logs/access.log").build());
            SandboxEndpoint endpoint = web.endpoint(8080);
            HttpClient http = HttpClient.newHttpClient();
            HttpRequest get = HttpRequest.newBuilder(endpoint.url().resolve(URI.create("/index.html"))).build();
            String page = null;
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (page == null && System.nanoTime() < deadline) {
                try {
                    HttpResponse<String> r = http.send(get, HttpResponse.BodyHandlers.ofString());
                    page = r.statusCode() == 200 ? r.body() : null;
                } catch (java.io.IOException notListeningYet) {
                    Thread.sleep(50); // the server starts in the background: ask again
                }
            }
            System.out.println("fetched through " + endpoint.address() + ": " + (page == null ? "nothing" : page.strip()));
            if (page == null || !page.contains("hello from a sandbox")) {
                problems.add("the page served in the sandbox did not reach the host through its endpoint");
            }
            int code = web.exec(ExecSpec.builder("sh", "-c", "for i in 1 2 3; do echo streamed line $i; done").build(),
                    System.out, System.err);
            if (code != 0) {
                problems.add("the streamed command exited " + code);
            }
            server.destroy();
            server.waitFor(Duration.ofSeconds(10));
            web.files().copyOut("logs", logs);
            String log = Files.readString(logs.resolve("access.log"));
            System.out.println("server log copied out: " + log.lines().count() + " lines");
            if (!log.contains("url:/index.html")) {
                problems.add("the server's log copied out of the sandbox does not show the request: " + log.strip());
            }
        }
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
