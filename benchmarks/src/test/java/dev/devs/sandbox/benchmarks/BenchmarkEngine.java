package dev.devs.sandbox.benchmarks;

import static dev.devs.sandbox.benchmarks.Measurements.fmt;
import static dev.devs.sandbox.benchmarks.Measurements.ms;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Version;
import dev.devs.sandbox.Sandbox;
import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.StartType;
import dev.devs.sandbox.docker.DockerDriver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One engine the warm benchmark starts sandboxes on: our Docker driver on it, named for the engine (so its starts,
 * stops and meters are series of their own: {@code docker} for dockerd, {@code podman} for Podman's Docker-compatible
 * API), a docker-java client of its own on the same socket (for the raw engine API peer and the leak checks), and
 * the stop durations of our sandboxes there.
 */
final class BenchmarkEngine implements AutoCloseable {

    /** The report section that describes the engines of the run: driver name, socket, engine version. */
    static final String ENGINES_SECTION = "engines";
    /** The report section that says, per engine, why its series were not measured. */
    static final String SKIPPED_ENGINES = "skippedEngines";
    /** The key, in an engine's entry, of its stop durations (ms) on its default runtime in the interleaved rounds. */
    static final String INTERLEAVED_STOPS = "interleavedStopsMs";

    final String driver;
    final String host;
    final DockerClient client;
    final SandboxProvider provider;
    final String version;
    /** Stop durations (ms) of our sandboxes on this engine, in the order taken. */
    final List<Double> stops = new ArrayList<>();
    /**
     * The part of {@link #stops} on the engine's default runtime: what one engine's stops are compared with on
     * another's, taken in the same interleaved rounds (the driver's stop series also holds other benchmarks' stops).
     */
    final List<Double> defaultRuntimeStops = new ArrayList<>();

    private BenchmarkEngine(String driver, String host, DockerClient client, SandboxProvider provider, String version) {
        this.driver = driver;
        this.host = host;
        this.client = client;
        this.provider = provider;
        this.version = version;
    }

    /** The engine at {@link BenchmarkEnvironment#DOCKER_HOST}, as every benchmark class uses it: driver {@code docker}. */
    static BenchmarkEngine dockerd(String image) {
        return open(DockerDriver.NAME, BenchmarkEnvironment.DOCKER_HOST, image);
    }

    /**
     * The engine at {@code host} with {@code image} present, our driver named {@code driver} on it.
     *
     * @throws Unavailable naming the host and what is wrong, when no engine answers there or it lacks the image
     */
    static BenchmarkEngine open(String driver, String host, String image) {
        if (host.startsWith("unix://") && !Files.exists(Path.of(host.substring("unix://".length())))) {
            throw new Unavailable("no " + driver + " engine at " + host + " (the socket does not exist)");
        }
        DockerClient client = BenchmarkEnvironment.dockerClient(host);
        try {
            Version v = client.versionCmd().exec();
            client.inspectImageCmd(image).exec();
            SandboxProvider provider = SandboxProvider.builder(DockerDriver.builder().name(driver).dockerHost(host).build())
                    .sessionId(BenchmarkEnvironment.SESSION).build();
            return new BenchmarkEngine(driver, host, client, provider, v.getVersion());
        } catch (NotFoundException e) {
            BenchmarkEnvironment.closeQuietly(client);
            throw new Unavailable("the " + driver + " engine at " + host + " does not have image " + image
                    + " (scripts/lib/env.sh env_podman_load copies it from dockerd)");
        } catch (RuntimeException e) {
            BenchmarkEnvironment.closeQuietly(client);
            throw new Unavailable("no " + driver + " engine answers at " + host + ": " + e);
        }
    }

    /**
     * Starts {@code spec} with our driver, prints the sample as {@code [benchmark] podman warm  3/30 NAME ...},
     * stops it (recording the stop, checking nothing of it is left) and returns the provisioning duration in ms.
     */
    double sampleWarm(SandboxSpec spec, String name, int round, int rounds) {
        Sandbox sandbox = provider.start(spec);
        double sample;
        try {
            System.out.printf("[benchmark] %-6s warm %2d/%d %-24s %s (%s)%n", driver, round + 1, rounds, name,
                    fmt(ms(sandbox.provisioningDuration())), Measurements.phases(sandbox.phases()));
            assertThat(sandbox.startType()).isEqualTo(StartType.WARM);
            sample = ms(sandbox.provisioningDuration());
        } finally {
            double stop = ms(Measurements.stopAndCheck(client, sandbox));
            stops.add(stop);
            if (spec.runtime().isEmpty()) {
                defaultRuntimeStops.add(stop);
            }
        }
        return sample;
    }

    /** A warm-up start of {@code spec}: reported in the warm-up section as {@code series}, not measured. */
    void warmUp(BenchmarkRun run, SandboxSpec spec, String series) {
        try (Sandbox sandbox = provider.start(spec)) {
            run.warmup(series, Measurements.Sample.of(sandbox));
            assertThat(sandbox.startType()).isEqualTo(StartType.WARM);
        }
    }

    /**
     * The {@value #ENGINES_SECTION} entry of this engine; with {@code interleavedStopsMs}, its
     * {@link #defaultRuntimeStops}, once there are any.
     */
    Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("driver", driver);
        m.put("host", host);
        m.put("version", version);
        if (!defaultRuntimeStops.isEmpty()) {
            m.put(INTERLEAVED_STOPS, List.copyOf(defaultRuntimeStops));
        }
        return m;
    }

    /** Closes the provider (stopping what it holds), fails if a container of the run is left, closes the client. */
    @Override
    public void close() throws Exception {
        BenchmarkEnvironment.closeAndCheckNothingLeft(client, () -> { }, provider);
    }

    /** An engine that cannot be measured in this run; the message says why. */
    static final class Unavailable extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Unavailable(String message) {
            super(message);
        }
    }
}
