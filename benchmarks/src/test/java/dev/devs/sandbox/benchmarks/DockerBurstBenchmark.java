package dev.devs.sandbox.benchmarks;

import static dev.devs.sandbox.benchmarks.BenchmarkEnvironment.REALISTIC_IMAGE;
import static dev.devs.sandbox.benchmarks.Measurements.fmt;
import static dev.devs.sandbox.benchmarks.Measurements.ms;
import static java.util.Collections.synchronizedList;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.github.dockerjava.api.DockerClient;
import dev.devs.sandbox.Sandbox;
import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.SandboxStartException;
import dev.devs.sandbox.docker.DockerDriver;
import dev.devs.sandbox.metrics.Percentiles;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A burst: 100 starts at once on one provider, next to 100 raw docker-java create + start + inspect at once
 * with the same settings, in the same run. Two bursts each, in the order raw, driver, driver, raw, so that a
 * drift of the machine's load during the test weighs on both sides alike; each burst is stopped and removed
 * before the next. The raw peer has a client of its own with docker-java's default pool of 100 connections, as
 * the driver has, so neither side queues for a connection the other would not. Every start must be READY or
 * fail with a clear error (a {@link SandboxStartException} naming the sandbox), and nothing may be left. The
 * P95 ratio driver/raw over the 200 starts of each side is reported against the target of 1.1, with
 * each pair's ratio; it is reported, not asserted, since the machine is shared.
 */
@Tag("benchmark")
@Order(7)
@ExtendWith(BenchmarkRunExtension.class)
class DockerBurstBenchmark {

    static final int BURST = 100;
    static final double RATIO_TARGET = 1.1;
    /** docker-java's default connection pool, which the driver's request client has too. */
    private static final int CONNECTIONS = 100;

    private static final SandboxSpec SPEC = BenchmarkEnvironment.spec(REALISTIC_IMAGE, Duration.ofSeconds(120));

    private static BenchmarkRun run;
    private static DockerClient docker;
    /** The raw peer's client: as many connections as the driver's, unlike the shared client of the checks. */
    private static DockerClient raw;
    private static SandboxProvider provider;
    /** The raw peer's starts and removals and the driver's stops: one thread each, as the provider's startAsync has. */
    private static ExecutorService threads;
    /** Each step's durations, by side and step ("raw create", "driver attach"...), over both bursts of each side. */
    private static final Map<String, List<Double>> PHASES = new ConcurrentHashMap<>();

    @BeforeAll
    @Timeout(60)
    static void setUp(BenchmarkRun benchmarkRun) {
        run = benchmarkRun;
        docker = BenchmarkEnvironment.dockerClient();
        raw = BenchmarkEnvironment.dockerClient(CONNECTIONS);
        threads = Executors.newFixedThreadPool(BURST);
        provider = SandboxProvider.builder(new DockerDriver()).sessionId(BenchmarkEnvironment.SESSION).build();
        try (Sandbox sandbox = provider.start(SPEC)) {
            run.warmup("docker burst", Measurements.Sample.of(sandbox));
        }
    }

    @Test
    @Timeout(600)
    void twoBurstsOfAHundredStartsNextToTwoBurstsOfAHundredRawStarts() throws Exception {
        List<List<Double>> rawBursts = new ArrayList<>();
        List<DriverBurst> driverBursts = new ArrayList<>();
        double rawWall = 0;
        for (boolean isRaw : new boolean[] {true, false, false, true}) {
            long t0 = System.nanoTime();
            if (isRaw) {
                rawBursts.add(rawBurst());
                rawWall += ms(Duration.ofNanos(System.nanoTime() - t0));
            } else {
                driverBursts.add(driverBurst());
            }
        }
        List<Double> rawMs = new ArrayList<>();
        List<Double> driverMs = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        List<Double> pairRatios = new ArrayList<>();
        double driverWall = 0;
        double stopAll = 0;
        for (int i = 0; i < 2; i++) {
            // Pairs of neighbours: the first raw burst with the first driver burst, the second with the second.
            DriverBurst d = driverBursts.get(i);
            rawMs.addAll(rawBursts.get(i));
            driverMs.addAll(d.readyMs);
            failures.addAll(d.failures);
            driverWall += d.wallMs;
            stopAll += d.stopAllMs;
            pairRatios.add(Percentiles.of(d.readyMs, 95).orElse(Double.NaN) / Percentiles.of(rawBursts.get(i), 95).orElseThrow());
        }
        int ready = driverMs.size();

        double rawP95 = Percentiles.of(rawMs, 95).orElseThrow();
        Double driverP95 = driverMs.isEmpty() ? null : Percentiles.of(driverMs, 95).orElseThrow();
        Double ratio = driverP95 == null ? null : driverP95 / rawP95;
        run.putSection("burst", new Burst(BURST, 2, REALISTIC_IMAGE, ready, failures.size(), failures.stream().limit(5).toList(),
                driverP95, Percentiles.of(driverMs, 50).isPresent() ? Percentiles.of(driverMs, 50).getAsDouble() : null,
                rawP95, Percentiles.of(rawMs, 50).orElseThrow(), ratio, pairRatios, RATIO_TARGET, driverWall, rawWall, stopAll,
                phaseSummary()));
        run.summary(String.format(Locale.ROOT, "docker burst of %d, twice (raw, driver, driver, raw): %d ready, %d failed; driver %s, raw %s;"
                        + " P95 driver/raw x%.2f (target <= %.1f: %s; per pair x%.2f and x%.2f); stop-all %s", BURST, ready, failures.size(),
                Measurements.percentiles(driverMs), Measurements.percentiles(rawMs), ratio == null ? Double.NaN : ratio, RATIO_TARGET,
                ratio != null && ratio <= RATIO_TARGET ? "ok" : "MISSED", pairRatios.get(0), pairRatios.get(1), fmt(stopAll / 2)));

        run.summary("docker burst steps, P50 / P95: " + phaseSummary());
        assertThat(ready + failures.size()).isEqualTo(2 * BURST);
        assertThat(BenchmarkEnvironment.sessionContainers(docker)).as("containers left after the bursts").isEmpty();
    }

    /** 100 raw starts at once, kept running until the whole burst is up, as the driver's are; then removed in parallel. */
    private static List<Double> rawBurst() throws Exception {
        List<Double> rawMs = new ArrayList<>();
        List<String> rawIds = synchronizedList(new ArrayList<>());
        try {
            List<CompletableFuture<Duration>> rawStarts = new ArrayList<>();
            for (int i = 0; i < BURST; i++) {
                String sampleId = Measurements.sampleId("burst-raw");
                rawStarts.add(CompletableFuture.supplyAsync(() -> rawStart(sampleId, rawIds), threads));
            }
            for (CompletableFuture<Duration> f : rawStarts) {
                rawMs.add(ms(f.get(240, TimeUnit.SECONDS)));
            }
        } finally {
            List<CompletableFuture<Void>> removals = new ArrayList<>();
            for (String id : List.copyOf(rawIds)) {
                removals.add(CompletableFuture.runAsync(() -> raw.removeContainerCmd(id).withForce(true).withRemoveVolumes(true).exec(), threads));
            }
            CompletableFuture.allOf(removals.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
        }
        return rawMs;
    }

    /** 100 starts at once on the provider, then all READY ones stopped in parallel (each checked gone). */
    private static DriverBurst driverBurst() throws Exception {
        List<CompletableFuture<Sandbox>> starts = new ArrayList<>();
        long d0 = System.nanoTime();
        for (int i = 0; i < BURST; i++) {
            starts.add(provider.startAsync(SPEC));
        }
        List<Double> readyMs = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        List<Sandbox> ready = new ArrayList<>();
        for (CompletableFuture<Sandbox> f : starts) {
            try {
                Sandbox s = f.get(240, TimeUnit.SECONDS);
                ready.add(s);
                readyMs.add(ms(s.provisioningDuration()));
                s.phases().forEach((phase, took) -> PHASES.computeIfAbsent("driver " + phase, k -> synchronizedList(new ArrayList<>())).add(ms(took)));
            } catch (ExecutionException e) {
                Throwable cause = e.getCause() instanceof CompletionException c ? c.getCause() : e.getCause();
                assertThat(cause).as("a failed start fails with a clear error").isInstanceOf(SandboxStartException.class)
                        .hasMessageContaining("sandbox sbx-");
                failures.add(cause.getMessage());
            }
        }
        double wall = ms(Duration.ofNanos(System.nanoTime() - d0));
        long s0 = System.nanoTime();
        List<CompletableFuture<Duration>> stops = new ArrayList<>();
        for (Sandbox s : ready) {
            stops.add(CompletableFuture.supplyAsync(() -> Measurements.stopAndCheck(docker, s), threads));
        }
        for (CompletableFuture<Duration> stop : stops) {
            stop.get(120, TimeUnit.SECONDS);
        }
        return new DriverBurst(readyMs, failures, wall, ms(Duration.ofNanos(System.nanoTime() - s0)));
    }

    private record DriverBurst(List<Double> readyMs, List<String> failures, double wallMs, double stopAllMs) {
    }

    /** The raw peer's start, as {@link RawEngineApiPeer} does it, but the container is kept for the whole burst. */
    private static Duration rawStart(String sampleId, List<String> ids) {
        long t0 = System.nanoTime();
        String id = raw.createContainerCmd(SPEC.image()).withName(sampleId).withCmd(SPEC.command()).withEnv(PeerContainers.env(SPEC))
                .withUser(SPEC.user().isEmpty() ? null : SPEC.user()).withWorkingDir(SPEC.workDir())
                .withLabels(PeerContainers.labels(SPEC, sampleId, "raw-engine-api")).withHostConfig(PeerContainers.hostConfig(SPEC))
                .exec().getId();
        ids.add(id);
        long created = System.nanoTime();
        raw.startContainerCmd(id).exec();
        long started = System.nanoTime();
        var state = raw.inspectContainerCmd(id).exec().getState();
        long t1 = System.nanoTime();
        if (!Boolean.TRUE.equals(state.getRunning())) {
            throw new IllegalStateException("raw burst sample " + sampleId + " is not running after start: " + state.getStatus());
        }
        rawPhase("create", created - t0);
        rawPhase("start", started - created);
        rawPhase("inspect", t1 - started);
        return Duration.ofNanos(t1 - t0);
    }

    private static void rawPhase(String phase, long nanos) {
        PHASES.computeIfAbsent("raw " + phase, k -> synchronizedList(new ArrayList<>())).add(ms(Duration.ofNanos(nanos)));
    }

    /** "phase P50/P95" for each side's phases, so that a ratio off target says where the time went. */
    private static Map<String, String> phaseSummary() {
        Map<String, String> out = new TreeMap<>();
        PHASES.forEach((phase, samples) -> out.put(phase, fmt(Percentiles.of(samples, 50)) + " / " + fmt(Percentiles.of(samples, 95))));
        return out;
    }

    @AfterAll
    @Timeout(120)
    static void tearDown() throws Exception {
        if (threads != null) {
            threads.shutdown();
        }
        if (raw != null) {
            raw.close();
        }
        BenchmarkEnvironment.closeAndCheckNothingLeft(docker, () -> { }, provider);
    }

    /** The report's {@code burst} section. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Burst(int starts, int burstsEach, String image, int ready, int failed, List<String> firstFailures, Double driverP95Ms,
                 Double driverP50Ms, double rawP95Ms, double rawP50Ms, Double p95RatioDriverToRaw, List<Double> p95RatioPerPair,
                 double ratioTarget, double driverWallMs, double rawWallMs, double driverStopAllMs, Map<String, String> phasesP50P95) {
    }
}
