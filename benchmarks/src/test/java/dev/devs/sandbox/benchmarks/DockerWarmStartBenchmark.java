package dev.devs.sandbox.benchmarks;

import static dev.devs.sandbox.benchmarks.BenchmarkEnvironment.REALISTIC_IMAGE;
import static dev.devs.sandbox.benchmarks.Measurements.fmt;
import static dev.devs.sandbox.benchmarks.Measurements.ms;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import dev.devs.sandbox.Sandbox;
import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.StartType;
import dev.devs.sandbox.docker.DockerDriver;
import dev.devs.sandbox.metrics.LatencyStats;
import dev.devs.sandbox.metrics.LatencyTargets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Docker warm start (image present locally), target: the series' P95 within {@link LatencyTargets#DOCKER_WARM}
 * (the 15 s timeout per sample only stops a hung sample), measured beside
 * three peers on the same image, command and host settings: the raw engine API, {@code docker run -d} and
 * Testcontainers. Samples are taken round-robin (ours, then each peer, the order rotating every round), so
 * that drift of the machine during the run (page cache, another process, thermal) hits all four alike. Every
 * stop of our sandboxes is recorded as the reporter's stop series, whose P95 is held to {@link LatencyTargets#STOP}.
 * The warm-up rounds are reported in the report's warmup section, apart from the measured series.
 *
 * <p>Beside our default (runc) series, the same spec on gVisor ({@code runtime("runsc")}) is a fifth starter of
 * every round, so the report carries a {@code docker warm [runsc]} series measured in the same run and the
 * analyzer shows its ratio to runc. On an engine without runsc those samples are skipped, each naming the reason,
 * which is also printed in the summary and written to the report's {@value #SKIPPED_RUNTIMES} section.
 */
@Tag("benchmark")
@Order(2)
@ExtendWith(BenchmarkRunExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DockerWarmStartBenchmark {

    /** Samples per starter (ours and each peer's): equal counts, so the ratios compare like with like. */
    static final int SAMPLES = 30;
    static final int WARM_UP_ROUNDS = 3;
    static final Duration TARGET = LatencyTargets.provisioning("docker", StartType.WARM).orElseThrow();
    static final String OURS = "docker-driver";
    /** The second OCI runtime measured; the first is the engine's default, runc. */
    static final String RUNSC = "runsc";
    static final String SKIPPED_RUNTIMES = "skippedRuntimes";
    /** Ours on runc, ours on runsc, three peers. */
    static final int STARTERS = 5;

    private static final SandboxSpec SPEC = BenchmarkEnvironment.spec(REALISTIC_IMAGE, Duration.ofSeconds(14));
    private static final SandboxSpec RUNSC_SPEC = SPEC.toBuilder().runtime(RUNSC).build();

    private static BenchmarkRun run;
    private static DockerClient docker;
    private static SandboxProvider provider;
    private static List<Peer> peers;
    private static final Map<String, List<Measurements.Sample>> peerSamples = new LinkedHashMap<>();
    private static final List<Double> ourSamples = new ArrayList<>();
    private static final List<Double> stopSamples = new ArrayList<>();
    private static final List<Double> runscSamples = new ArrayList<>();
    /** Why the runsc series is not measured, or null when it is. */
    private static String runscSkipped;

    @BeforeAll
    @Timeout(180)
    static void setUp(BenchmarkRun benchmarkRun) throws Exception {
        run = benchmarkRun;
        TestcontainersPeer.requireEnvironment();
        docker = BenchmarkEnvironment.dockerClient();
        try {
            docker.inspectImageCmd(REALISTIC_IMAGE).exec();
        } catch (NotFoundException e) {
            throw new AssertionError("image " + REALISTIC_IMAGE + " is not present locally: "
                    + "scripts/run_sandbox_latency_benchmark.sh builds it (env_ensure_realistic_image)", e);
        }
        provider = SandboxProvider.builder(new DockerDriver()).sessionId(BenchmarkEnvironment.SESSION).build();
        runscSkipped = BenchmarkEnvironment.missingRuntime(docker, RUNSC);
        if (runscSkipped != null) {
            run.summary("docker warm [" + RUNSC + "]: not measured: " + runscSkipped);
            run.putSection(SKIPPED_RUNTIMES, Map.of(RUNSC, runscSkipped));
        }
        peers = List.of(new RawEngineApiPeer(docker), new DockerCliPeer(docker), new TestcontainersPeer());
        peers.forEach(p -> peerSamples.put(p.name(), new ArrayList<>()));
        // Warm-up, outside the measured series (reported in the warmup section): class loading, JIT, connection
        // pools, Testcontainers' discovery, page cache.
        for (int round = 0; round < WARM_UP_ROUNDS; round++) {
            try (Sandbox sandbox = provider.start(SPEC)) {
                run.warmup("docker warm " + OURS, Measurements.Sample.of(sandbox));
                assertThat(sandbox.startType()).isEqualTo(StartType.WARM);
            }
            if (runscSkipped == null) {
                try (Sandbox sandbox = provider.start(RUNSC_SPEC)) {
                    run.warmup("docker warm " + OURS + " [" + RUNSC + "]", Measurements.Sample.of(sandbox));
                }
            }
            for (Peer peer : peers) {
                Duration d = peer.sample(SPEC, Measurements.sampleId("peer-warmup"));
                run.warmup("docker warm peer " + peer.name(), Measurements.Sample.of(d, Instant.now()));
            }
        }
        run.record(provider);
    }

    /**
     * Repetition {@code i} (0-based) takes a sample of starter {@code (i + round) mod STARTERS} in round
     * {@code i / STARTERS}: every round samples each starter once, and each starter takes each place in a round
     * equally often. Starter 0 is ours on runc, 1 ours on runsc, the rest the peers.
     */
    @RepeatedTest(value = SAMPLES * STARTERS, name = "warm sample {currentRepetition}/{totalRepetitions}")
    @Timeout(15)
    @Order(1)
    void warmSample(RepetitionInfo info) throws Exception {
        int i = info.getCurrentRepetition() - 1;
        int round = i / STARTERS;
        int starter = (i % STARTERS + round) % STARTERS;
        if (starter == 0) {
            ourSamples.add(sampleOurs(SPEC, OURS, round));
        } else if (starter == 1) {
            Assumptions.assumeTrue(runscSkipped == null, () -> "docker warm [" + RUNSC + "] not measured: " + runscSkipped);
            runscSamples.add(sampleOurs(RUNSC_SPEC, OURS + " [" + RUNSC + "]", round));
        } else {
            samplePeer(peers.get(starter - 2), round);
        }
    }

    private static double sampleOurs(SandboxSpec spec, String name, int round) {
        Sandbox sandbox = provider.start(spec);
        Duration stop;
        double sample;
        try {
            System.out.printf("[benchmark] docker warm %2d/%d %-15s %s (%s)%n", round + 1, SAMPLES, name,
                    fmt(ms(sandbox.provisioningDuration())), Measurements.phases(sandbox.phases()));
            assertThat(sandbox.startType()).isEqualTo(StartType.WARM);
            sample = ms(sandbox.provisioningDuration());
        } finally {
            stop = Measurements.stopAndCheck(docker, sandbox);
        }
        stopSamples.add(ms(stop));
        return sample;
    }

    private static void samplePeer(Peer peer, int round) throws Exception {
        Duration d = peer.sample(SPEC, Measurements.sampleId("peer-" + peer.name()));
        Instant at = Instant.now();
        peerSamples.get(peer.name()).add(Measurements.Sample.of(d, at));
        System.out.printf("[benchmark] docker warm %2d/%d %-15s %s%n", round + 1, SAMPLES, peer.name(), fmt(ms(d)));
    }

    @Test
    @Order(2)
    void warmSeriesP95IsWithinItsTargetBesideThePeers() {
        LatencyStats.Series warm = run.reporter().getStats().series("docker", StartType.WARM, "runc").orElseThrow(
                () -> new AssertionError("the reporter has no docker/warm/runc series: no warm sample succeeded"));
        List<Measurements.PeerSeries> section = new ArrayList<>();
        for (Peer peer : peers) {
            section.add(Measurements.PeerSeries.of(peer, REALISTIC_IMAGE, peerSamples.get(peer.name())));
        }
        run.putSection("peers", section);

        double p50 = warm.p50Ms().orElseThrow();
        double p95 = warm.p95Ms().orElseThrow();
        run.summary(String.format("docker warm (%s): n=%d P50=%s P95=%s P99=%s, target P95 <= %s: %s", REALISTIC_IMAGE,
                warm.samples().size(), fmt(p50), fmt(p95), fmt(warm.p99Ms()), fmt(TARGET.toMillis()),
                p95 <= TARGET.toMillis() ? "ok" : "MISSED"));
        for (Measurements.PeerSeries peer : section) {
            run.summary(String.format(Locale.ROOT, "  peer %-15s n=%d P50=%s P95=%s P99=%s; docker-driver/peer: P50 x%.2f, P95 x%.2f",
                    peer.name(), peer.count(), fmt(OptionalDouble.of(peer.p50Ms())), fmt(OptionalDouble.of(peer.p95Ms())),
                    fmt(OptionalDouble.of(peer.p99Ms())), p50 / peer.p50Ms(), p95 / peer.p95Ms()));
        }
        // Our series holds exactly the interleaved samples, so its count is the peers' count.
        assertThat(warm.samples()).hasSize(ourSamples.size());
        assertThat(ourSamples).hasSizeGreaterThanOrEqualTo(SAMPLES);
        section.forEach(peer -> assertThat(peer.count()).as("samples of peer %s", peer.name()).isEqualTo(ourSamples.size()));
        assertThat(p95).as("docker warm P95 (ms)").isLessThanOrEqualTo(TARGET.toMillis());
    }

    /** The runsc series beside runc's, from the same interleaved rounds; skipped, with the reason, without runsc. */
    @Test
    @Order(3)
    void runscSeriesBesideRuncWithItsRatio() {
        Assumptions.assumeTrue(runscSkipped == null, () -> "docker warm [" + RUNSC + "] not measured: " + runscSkipped);
        LatencyStats stats = run.reporter().getStats();
        LatencyStats.Series runc = stats.series("docker", StartType.WARM, "runc").orElseThrow();
        LatencyStats.Series runsc = stats.series("docker", StartType.WARM, RUNSC).orElseThrow(
                () -> new AssertionError("the reporter has no docker/warm/runsc series: no runsc sample succeeded"));
        double p50 = runsc.p50Ms().orElseThrow();
        double p95 = runsc.p95Ms().orElseThrow();
        run.summary(String.format(Locale.ROOT, "docker warm [%s] (%s): n=%d P50=%s P95=%s P99=%s; runsc/runc: P50 x%.2f, P95 x%.2f;"
                        + " target P95 <= %s: %s", RUNSC, REALISTIC_IMAGE, runsc.samples().size(), fmt(p50), fmt(p95),
                fmt(runsc.p99Ms()), p50 / runc.p50Ms().orElseThrow(), p95 / runc.p95Ms().orElseThrow(), fmt(TARGET.toMillis()),
                p95 <= TARGET.toMillis() ? "ok" : "MISSED"));
        assertThat(runsc.samples()).hasSize(runscSamples.size());
        assertThat(runscSamples).as("runsc samples, one per round like runc's").hasSize(ourSamples.size());
        assertThat(p95).as("docker warm [runsc] P95 (ms)").isLessThanOrEqualTo(TARGET.toMillis());
    }

    @Test
    @Order(4)
    void stopSeriesP95IsWithinItsTarget() {
        LatencyStats.Stops stops = run.reporter().getStats().stops("docker").orElseThrow(
                () -> new AssertionError("the reporter has no docker stop series"));
        double max = stops.samples().stream().mapToDouble(LatencyStats.Sample::durationMs).max().orElseThrow();
        double p95 = stops.p95Ms().orElseThrow();
        long target = LatencyTargets.stop().toMillis();
        run.summary(String.format("docker stop: n=%d P50=%s P95=%s P99=%s max=%s (stopped %d, killed %d), target P95 <= %s: %s",
                stops.samples().size(), fmt(stops.p50Ms()), fmt(p95), fmt(stops.p99Ms()), fmt(max),
                stops.stopped(), stops.killed(), fmt(target), p95 <= target ? "ok" : "MISSED"));
        assertThat(stops.samples()).hasSizeGreaterThanOrEqualTo(stopSamples.size());
        assertThat(p95).as("docker stop P95 (ms)").isLessThanOrEqualTo(target);
    }

    @AfterAll
    @Timeout(60)
    static void tearDown() throws Exception {
        try {
            BenchmarkEnvironment.closeAndCheckNothingLeft(docker, () -> { }, provider);
        } finally {
            if (peers != null) {
                peers.forEach(Peer::close);
            }
        }
    }
}
