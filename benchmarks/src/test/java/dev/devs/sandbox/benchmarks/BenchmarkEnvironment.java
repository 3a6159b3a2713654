package dev.devs.sandbox.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import dev.devs.sandbox.ResourceLabels;
import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * What the benchmark runs against, read from the environment variables that {@code scripts/lib/env.sh} and
 * {@code scripts/run_sandbox_latency_benchmark.sh} export (with the same defaults), plus the one sandbox spec
 * that our driver and every peer start, so that they are compared on identical work.
 */
final class BenchmarkEnvironment {

    /** Local image for warm starts, peers, concurrency and memory: Debian minbase + python3 (scripts/lib/env.sh). */
    static final String REALISTIC_IMAGE = env("DEVS_REALISTIC_IMAGE", "devs-sandbox-python:bookworm");

    /**
     * The registry copy of the realistic image that cold samples pull. It carries one extra file so that its
     * layer is not the local image's (the script builds and pushes it); the same name as the script's default.
     */
    static final String COLD_IMAGE = env("DEVS_COLD_IMAGE",
            "localhost:" + port(env("DEVS_REGISTRY_ADDR", "127.0.0.1:5000")) + "/devs-sandbox-python-cold:bookworm");

    /** Chromium for the WebContainer driver. */
    static final String CHROME_PATH = env("CHROME_PATH", "/usr/bin/chromium");

    /** Docker engine address, as the driver and the CLI read it. */
    static final String DOCKER_HOST = env("DOCKER_HOST", "unix:///var/run/docker.sock");

    /**
     * Podman's Docker-compatible API, the second engine of the warm benchmark: {@code -Ddevs.podman.host} (the
     * benchmark profile passes the socket {@code scripts/lib/env.sh} serves), else {@code DEVS_PODMAN_HOST}, else none.
     */
    static final String PODMAN_HOST = System.getProperty("devs.podman.host", env("DEVS_PODMAN_HOST", ""));

    /**
     * Labels everything this run creates, ours and the peers'; the script sweeps by it at the end, and the
     * in-suite leak checks filter by it (other test JVMs share the engine).
     */
    static final String SESSION = env("DEVS_BENCHMARK_SESSION", SandboxProvider.JVM_SESSION_ID);

    static final String LABEL_MANAGED = ResourceLabels.MANAGED;
    static final String LABEL_SESSION = ResourceLabels.SESSION;
    static final String LABEL_ID = ResourceLabels.SANDBOX_ID;

    /**
     * The sandbox's main process: a shell that exits on SIGTERM, so that a stop measures a clean exit within
     * the grace period rather than the grace period itself (a bare {@code sleep} as PID 1 ignores SIGTERM).
     */
    static final List<String> COMMAND = List.of("/bin/sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait");

    private BenchmarkEnvironment() {
    }

    /** The spec of every Docker sample: the library's secure defaults, the realistic image, {@link #COMMAND}. */
    static SandboxSpec spec(String image, Duration startupTimeout) {
        return SandboxSpec.builder(image)
                .command(COMMAND)
                .startupTimeout(startupTimeout)
                .build();
    }

    /**
     * Null when the engine has {@code runtime} registered; otherwise why not, with the runtimes it has and how to
     * get the missing one (scripts/lib/env.sh registers runsc only with an engine it starts itself).
     */
    static String missingRuntime(DockerClient docker, String runtime) {
        Map<String, ?> runtimes = docker.infoCmd().exec().getRuntimes();
        java.util.Set<String> names = runtimes == null ? java.util.Set.of() : new java.util.TreeSet<>(runtimes.keySet());
        if (names.contains(runtime)) {
            return null;
        }
        return "the Docker engine at " + DOCKER_HOST + " has no runtime '" + runtime + "' (it has " + String.join(", ", names)
                + "); scripts/run_sandbox_latency_benchmark.sh registers runsc with an engine it starts itself";
    }

    /** Where the report, the scrape text and the chart go: {@code <project root>/.devs/reports}. */
    static Path reportsDir() {
        String configured = System.getProperty("devs.reports.dir");
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured).toAbsolutePath().normalize();
        }
        // Run from an IDE the working directory is usually the module: find the project root above it.
        Path dir = Path.of("").toAbsolutePath();
        for (Path p = dir; p != null; p = p.getParent()) {
            if (Files.exists(p.resolve("scripts/run_sandbox_latency_benchmark.sh"))) {
                return p.resolve(".devs/reports");
            }
        }
        return dir.resolve(".devs/reports");
    }

    /** A docker-java client of its own (the driver's is internal), for peers, image handling and leak checks. */
    static DockerClient dockerClient() {
        return dockerClient(DOCKER_HOST, 32);
    }

    /** {@link #dockerClient()} with a pool of {@code maxConnections} connections to the engine. */
    static DockerClient dockerClient(int maxConnections) {
        return dockerClient(DOCKER_HOST, maxConnections);
    }

    /** As {@link #dockerClient()}, for the engine at {@code host} (e.g. Podman's socket). */
    static DockerClient dockerClient(String host) {
        return dockerClient(host, 32);
    }

    /** As {@link #dockerClient(String)}, with a pool of {@code maxConnections} connections (a burst's flood needs one each). */
    static DockerClient dockerClientFor(String host, int maxConnections) {
        return dockerClient(host, maxConnections);
    }

    private static DockerClient dockerClient(String host, int maxConnections) {
        DefaultDockerClientConfig config = DefaultDockerClientConfig.createDefaultConfigBuilder()
                .withDockerHost(host)
                .build();
        ApacheDockerHttpClient http = new ApacheDockerHttpClient.Builder()
                .dockerHost(config.getDockerHost())
                .sslConfig(config.getSSLConfig())
                .maxConnections(maxConnections)
                .connectionTimeout(Duration.ofSeconds(5))
                .responseTimeout(Duration.ofMinutes(2))
                .build();
        return DockerClientImpl.getInstance(config, http);
    }

    /** Containers (running or not) carrying this run's session label. */
    static List<Container> sessionContainers(DockerClient docker) {
        return docker.listContainersCmd()
                .withShowAll(true)
                .withLabelFilter(Map.of(LABEL_SESSION, SESSION))
                .exec();
    }

    /** Containers (running or not) of one sandbox id. */
    static List<Container> containersOf(DockerClient docker, String sandboxId) {
        return docker.listContainersCmd()
                .withShowAll(true)
                .withLabelFilter(Map.of(LABEL_ID, sandboxId))
                .exec();
    }

    /** Removes whatever this run left (after reporting it through the caller's assertion). */
    static void removeSessionContainers(DockerClient docker) {
        for (Container c : sessionContainers(docker)) {
            try {
                docker.removeContainerCmd(c.getId()).withForce(true).withRemoveVolumes(true).exec();
            } catch (RuntimeException e) {
                // Already gone (a concurrent removal): nothing left to do.
            }
        }
    }

    /**
     * The end of a Docker benchmark class: closes {@code resources} in order (providers first, so that they
     * stop their sandboxes), runs {@code beforeCheck}, then fails if any container of this run is left, and
     * in any case removes what is left and closes the engine client.
     */
    static void closeAndCheckNothingLeft(DockerClient docker, Runnable beforeCheck, AutoCloseable... resources)
            throws Exception {
        try {
            for (AutoCloseable r : resources) {
                if (r != null) {
                    r.close();
                }
            }
            if (docker != null) {
                beforeCheck.run();
                assertThat(sessionContainers(docker)).as("containers left by this run").isEmpty();
            }
        } finally {
            if (docker != null) {
                removeSessionContainers(docker);
                closeQuietly(docker);
            }
        }
    }

    /** Closes a client at the end of a class; a failure to close leaves nothing useful to do. */
    static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // Nothing to release beyond what close() tried.
        }
    }

    private static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : v;
    }

    private static String port(String addr) {
        int colon = addr.lastIndexOf(':');
        return colon < 0 ? "5000" : addr.substring(colon + 1);
    }
}
