package dev.devs.sandbox.benchmarks;

import static dev.devs.sandbox.benchmarks.BenchmarkEnvironment.REALISTIC_IMAGE;
import static dev.devs.sandbox.benchmarks.Measurements.fmt;
import static dev.devs.sandbox.benchmarks.Measurements.ms;
import static org.assertj.core.api.Assertions.assertThat;

import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.StartType;
import dev.devs.sandbox.metrics.LatencyStats;
import dev.devs.sandbox.metrics.Percentiles;
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
 *
 * <p>Podman is the second engine of every round: our driver on Podman's Docker-compatible API (named
 * {@value LatencyTargets#PODMAN}, so its warm and stop series are its own) and the raw engine API on the same socket,
 * with the same spec and image. The report then has {@code podman warm} and {@code podman stop} beside
 * {@code docker warm} and {@code docker stop} from the same rounds, a {@code raw-engine-api} peer with engine
 * {@code podman}, and the {@value BenchmarkEngine#ENGINES_SECTION} section; the summary prints Podman/dockerd and
 * driver/raw ratios. Without a Podman service (see {@link BenchmarkEnvironment#PODMAN_HOST}) those samples are
 * skipped naming the reason, which the summary and the {@value BenchmarkEngine#SKIPPED_ENGINES} section repeat.
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
    static final String PODMAN = LatencyTargets.PODMAN;
    /** Ours on runc, ours on runsc, ours on Podman, three peers on dockerd, the raw engine API on Podman. */
    static final int STARTERS = 7;

    private static final SandboxSpec SPEC = BenchmarkEnvironment.spec(REALISTIC_IMAGE, Duration.ofSeconds(14));
    private static final SandboxSpec RUNSC_SPEC = SPEC.toBuilder().runtime(RUNSC).build();

    private static BenchmarkRun run;
    private static BenchmarkEngine dockerd;
    /** Null when Podman is not measured; {@link #podmanSkipped} says why. */
    private static BenchmarkEngine podman;
    private static String podmanSkipped;
    private static Peer podmanRaw;
    private static List<Peer> peers;
    private static final Map<String, List<Measurements.Sample>> peerSamples = new LinkedHashMap<>();
    private static final List<Measurements.Sample> podmanRawSamples = new ArrayList<>();
    private static final List<Double> ourSamples = new ArrayList<>();
    private static final List<Double> runscSamples = new ArrayList<>();
    private static final List<Double> podmanSamples = new ArrayList<>();
    /** Why the runsc series is not measured, or null when it is. */
    private static String runscSkipped;
    /** Every starter of a round, in the order of {@link #warmSample}'s rotation. */
    private static List<Starter> starters;

    /** One kind of sample of a round; {@code skipped} is why it is not taken in this run, or null. */
    private record Starter(String skipped, Sampler sampler) {
    }

    @FunctionalInterface
    private interface Sampler {
        void sample(int round) throws Exception;
    }

    @BeforeAll
    @Timeout(180)
    static void setUp(BenchmarkRun benchmarkRun) throws Exception {
        run = benchmarkRun;
        TestcontainersPeer.requireEnvironment();
        try {
            dockerd = BenchmarkEngine.dockerd(REALISTIC_IMAGE);
        } catch (BenchmarkEngine.Unavailable e) {
            throw new AssertionError(e.getMessage() + ": scripts/run_sandbox_latency_benchmark.sh builds the image"
                    + " (env_ensure_realistic_image) and starts an engine", e);
        }
        runscSkipped = BenchmarkEnvironment.missingRuntime(dockerd.client, RUNSC);
        if (runscSkipped != null) {
            run.summary("docker warm [" + RUNSC + "]: not measured: " + runscSkipped);
            run.putSection(SKIPPED_RUNTIMES, Map.of(RUNSC, runscSkipped));
        }
        openPodman();
        peers = List.of(new RawEngineApiPeer(dockerd.client), new DockerCliPeer(dockerd.client), new TestcontainersPeer());
        peers.forEach(p -> peerSamples.put(p.name(), new ArrayList<>()));
        starters = new ArrayList<>(List.of(
                new Starter(null, round -> ourSamples.add(dockerd.sampleWarm(SPEC, OURS, round, SAMPLES))),
                new Starter(runscSkipped == null ? null : "docker warm [" + RUNSC + "] not measured: " + runscSkipped,
                        round -> runscSamples.add(dockerd.sampleWarm(RUNSC_SPEC, OURS + " [" + RUNSC + "]", round, SAMPLES))),
                new Starter(podmanSkipped == null ? null : "podman warm not measured: " + podmanSkipped,
                        round -> podmanSamples.add(podman.sampleWarm(SPEC, OURS, round, SAMPLES)))));
        for (Peer peer : peers) {
            starters.add(new Starter(null, round -> samplePeer(peer, dockerd.driver, peerSamples.get(peer.name()), round)));
        }
        starters.add(new Starter(starters.get(2).skipped(), round -> samplePeer(podmanRaw, PODMAN, podmanRawSamples, round)));
        assertThat(starters).hasSize(STARTERS);
        warmUp();
        run.record(dockerd.provider);
        if (podman != null) {
            run.record(podman.provider);
        }
    }

    /** The second engine: measured when a Podman service answers with the image, else skipped with the reason. */
    private static void openPodman() {
        List<Map<String, Object>> engines = new ArrayList<>(List.of(dockerd.describe()));
        String scriptSays = System.getenv("DEVS_PODMAN_UNAVAILABLE");
        if (scriptSays != null && !scriptSays.isBlank()) {
            podmanSkipped = scriptSays;
        } else if (BenchmarkEnvironment.PODMAN_HOST.isBlank()) {
            podmanSkipped = "no Podman service configured (-Ddevs.podman.host or DEVS_PODMAN_HOST; "
                    + "scripts/run_sandbox_latency_benchmark.sh starts one)";
        } else {
            try {
                podman = BenchmarkEngine.open(PODMAN, BenchmarkEnvironment.PODMAN_HOST, REALISTIC_IMAGE);
                podmanRaw = new RawEngineApiPeer(podman.client);
                engines.add(podman.describe());
            } catch (BenchmarkEngine.Unavailable e) {
                podmanSkipped = e.getMessage();
            }
        }
        run.putSection(BenchmarkEngine.ENGINES_SECTION, engines);
        if (podmanSkipped != null) {
            run.summary("podman warm and stop: not measured: " + podmanSkipped);
            run.putSection(BenchmarkEngine.SKIPPED_ENGINES, Map.of(PODMAN, podmanSkipped));
        }
    }

    /**
     * Warm-up, outside the measured series (reported in the warmup section): class loading, JIT, connection pools,
     * Testcontainers' discovery, page cache, on every engine.
     */
    private static void warmUp() throws Exception {
        for (int round = 0; round < WARM_UP_ROUNDS; round++) {
            dockerd.warmUp(run, SPEC, "docker warm " + OURS);
            if (runscSkipped == null) {
                dockerd.warmUp(run, RUNSC_SPEC, "docker warm " + OURS + " [" + RUNSC + "]");
            }
            if (podman != null) {
                podman.warmUp(run, SPEC, "podman warm " + OURS);
                warmUpPeer(podmanRaw, "podman warm peer ");
            }
            for (Peer peer : peers) {
                warmUpPeer(peer, "docker warm peer ");
            }
        }
    }

    private static void warmUpPeer(Peer peer, String series) throws Exception {
        Duration d = peer.sample(SPEC, Measurements.sampleId("peer-warmup"));
        run.warmup(series + peer.name(), Measurements.Sample.of(d, Instant.now()));
    }

    /**
     * Repetition {@code i} (0-based) takes a sample of starter {@code (i + round) mod STARTERS} in round
     * {@code i / STARTERS}: every round samples each starter once, and each starter takes each place in a round
     * equally often, so drift of the machine hits both engines, ours and the peers alike. The starters are
     * {@link #starters}.
     */
    @RepeatedTest(value = SAMPLES * STARTERS, name = "warm sample {currentRepetition}/{totalRepetitions}")
    // A hang guard, not a judgement: one slow sample never fails the run (only the P95 is judged); a start stuck
    // for two minutes does.
    @Timeout(120)
    @Order(1)
    void warmSample(RepetitionInfo info) throws Exception {
        int i = info.getCurrentRepetition() - 1;
        int round = i / STARTERS;
        Starter starter = starters.get((i % STARTERS + round) % STARTERS);
        Assumptions.assumeTrue(starter.skipped() == null, starter::skipped);
        starter.sampler().sample(round);
    }

    private static void samplePeer(Peer peer, String engine, List<Measurements.Sample> samples, int round) throws Exception {
        Duration d = peer.sample(SPEC, Measurements.sampleId("peer-" + peer.name()));
        samples.add(Measurements.Sample.of(d, Instant.now()));
        System.out.printf("[benchmark] %-6s warm %2d/%d %-24s %s%n", engine, round + 1, SAMPLES, peer.name(), fmt(ms(d)));
    }

    @Test
    @Order(2)
    void warmSeriesP95IsWithinItsTargetBesideThePeers() {
        LatencyStats.Series warm = warmSeries("docker");
        List<Measurements.PeerSeries> section = new ArrayList<>();
        for (Peer peer : peers) {
            section.add(Measurements.PeerSeries.of(peer, "docker", REALISTIC_IMAGE, peerSamples.get(peer.name())));
        }
        if (podman != null) {
            section.add(Measurements.PeerSeries.of(podmanRaw, PODMAN, REALISTIC_IMAGE, podmanRawSamples));
        }
        run.putSection("peers", section);

        double p50 = warm.p50Ms().orElseThrow();
        double p95 = warm.p95Ms().orElseThrow();
        run.summary(String.format("docker warm (%s): n=%d P50=%s P95=%s P99=%s, target P95 <= %s: %s", REALISTIC_IMAGE,
                warm.samples().size(), fmt(p50), fmt(p95), fmt(warm.p99Ms()), fmt(TARGET.toMillis()),
                p95 <= TARGET.toMillis() ? "ok" : "MISSED"));
        for (Measurements.PeerSeries peer : section.subList(0, peers.size())) {
            summarizePeer(peer, warm, OURS);
        }
        // Our series holds exactly the interleaved samples, so its count is the peers' count.
        assertThat(warm.samples()).hasSize(ourSamples.size());
        assertThat(ourSamples).hasSizeGreaterThanOrEqualTo(SAMPLES);
        section.subList(0, peers.size()).forEach(peer ->
                assertThat(peer.count()).as("samples of peer %s", peer.name()).isEqualTo(ourSamples.size()));
        assertThat(p95).as("docker warm P95 (ms)").isLessThanOrEqualTo(TARGET.toMillis());
    }

    /** The runsc series beside runc's, from the same interleaved rounds; skipped, with the reason, without runsc. */
    @Test
    @Order(3)
    void runscSeriesBesideRuncWithItsRatio() {
        Assumptions.assumeTrue(runscSkipped == null, () -> "docker warm [" + RUNSC + "] not measured: " + runscSkipped);
        LatencyStats.Series runc = warmSeries("docker");
        LatencyStats.Series runsc = run.reporter().stats().series("docker", StartType.WARM, RUNSC).orElseThrow(
                () -> new AssertionError("the reporter has no docker/warm/runsc series: no runsc sample succeeded"));
        summarizeBeside("docker warm [" + RUNSC + "]", runsc, "runsc/runc", runc);
        assertThat(runsc.samples()).hasSize(runscSamples.size());
        assertThat(runscSamples).as("runsc samples, one per round like runc's").hasSize(ourSamples.size());
        assertThat(runsc.p95Ms().orElseThrow()).as("docker warm [runsc] P95 (ms)").isLessThanOrEqualTo(TARGET.toMillis());
    }

    @Test
    @Order(4)
    void stopSeriesP95IsWithinItsTarget() {
        LatencyStats.Stops stops = summarizeStops(dockerd, null);
        assertThat(stops.p95Ms().orElseThrow()).as("docker stop P95 (ms)").isLessThanOrEqualTo(LatencyTargets.stop().toMillis());
    }

    /**
     * Podman's warm and stop series beside dockerd's, from the same interleaved rounds, with the Podman/dockerd ratio
     * and the driver's ratio to the raw engine API on Podman; skipped, with the reason, without a Podman service.
     */
    @Test
    @Order(5)
    void podmanSeriesBesideDockerdWithTheirRatios() {
        Assumptions.assumeTrue(podman != null, () -> "podman warm and stop not measured: " + podmanSkipped);
        LatencyStats.Series onPodman = warmSeries(PODMAN);
        summarizeBeside("podman warm", onPodman, "podman/docker", warmSeries("docker"));
        Measurements.PeerSeries raw = Measurements.PeerSeries.of(podmanRaw, PODMAN, REALISTIC_IMAGE, podmanRawSamples);
        summarizePeer(raw, onPodman, OURS + " on " + PODMAN);
        LatencyStats.Stops stops = summarizeStops(podman, null);
        // Each engine's stops on its default runtime from these rounds: the docker stop series also holds the stops of
        // every other benchmark class, so it is no fair baseline for Podman's.
        run.putSection(BenchmarkEngine.ENGINES_SECTION, List.of(dockerd.describe(), podman.describe()));
        double p50 = Percentiles.of(podman.defaultRuntimeStops, 50).orElseThrow();
        double p95 = Percentiles.of(podman.defaultRuntimeStops, 95).orElseThrow();
        double baseP50 = Percentiles.of(dockerd.defaultRuntimeStops, 50).orElseThrow();
        double baseP95 = Percentiles.of(dockerd.defaultRuntimeStops, 95).orElseThrow();
        run.summary(String.format(Locale.ROOT, "podman stop / docker stop [runc], the same interleaved rounds: n=%d / %d, P50 %s / %s"
                        + " (x%.2f), P95 %s / %s (x%.2f)", podman.defaultRuntimeStops.size(), dockerd.defaultRuntimeStops.size(),
                fmt(p50), fmt(baseP50), p50 / baseP50, fmt(p95), fmt(baseP95), p95 / baseP95));
        assertThat(podman.defaultRuntimeStops).as("podman stops, one per round like dockerd's").hasSize(dockerd.defaultRuntimeStops.size());

        assertThat(onPodman.samples()).hasSize(podmanSamples.size());
        assertThat(podmanSamples).as("podman samples, one per round like dockerd's").hasSize(ourSamples.size());
        assertThat(raw.count()).as("raw engine API samples on podman").isEqualTo(podmanSamples.size());
        assertThat(onPodman.p95Ms().orElseThrow()).as("podman warm P95 (ms)").isLessThanOrEqualTo(TARGET.toMillis());
        assertThat(stops.p95Ms().orElseThrow()).as("podman stop P95 (ms)").isLessThanOrEqualTo(LatencyTargets.stop().toMillis());
    }

    /**
     * The warm series of {@code driver} on its engine's default runtime: {@code runc} on dockerd; Podman names its
     * default {@code oci} (runc here, as containers.conf says), its only series in this benchmark.
     */
    private static LatencyStats.Series warmSeries(String driver) {
        LatencyStats stats = run.reporter().stats();
        return stats.series(driver, StartType.WARM, "runc").or(() -> stats.series(driver, StartType.WARM)).orElseThrow(
                () -> new AssertionError("the reporter has no " + driver + "/warm series: no warm sample on that engine succeeded"));
    }

    /** {@code name (image): n=.. P50=.. P95=.. P99=..; label: P50 x.., P95 x..; target P95 <= ..: ok} */
    private static void summarizeBeside(String name, LatencyStats.Series s, String label, LatencyStats.Series baseline) {
        double p50 = s.p50Ms().orElseThrow();
        double p95 = s.p95Ms().orElseThrow();
        run.summary(String.format(Locale.ROOT, "%s (%s): n=%d P50=%s P95=%s P99=%s; %s: P50 x%.2f, P95 x%.2f; target P95 <= %s: %s",
                name, REALISTIC_IMAGE, s.samples().size(), fmt(p50), fmt(p95), fmt(s.p99Ms()), label,
                p50 / baseline.p50Ms().orElseThrow(), p95 / baseline.p95Ms().orElseThrow(), fmt(TARGET.toMillis()),
                p95 <= TARGET.toMillis() ? "ok" : "MISSED"));
    }

    private static void summarizePeer(Measurements.PeerSeries peer, LatencyStats.Series ours, String oursName) {
        run.summary(String.format(Locale.ROOT, "  peer %-15s [%s] n=%d P50=%s P95=%s P99=%s; %s/peer: P50 x%.2f, P95 x%.2f",
                peer.name(), peer.engine(), peer.count(), fmt(OptionalDouble.of(peer.p50Ms())), fmt(OptionalDouble.of(peer.p95Ms())),
                fmt(OptionalDouble.of(peer.p99Ms())), oursName, ours.p50Ms().orElseThrow() / peer.p50Ms(),
                ours.p95Ms().orElseThrow() / peer.p95Ms()));
    }

    /** Prints the stop series of {@code engine}'s driver (with its ratio to {@code baseline}'s, if given) and returns it. */
    private static LatencyStats.Stops summarizeStops(BenchmarkEngine engine, LatencyStats.Stops baseline) {
        LatencyStats.Stops stops = run.reporter().stats().stops(engine.driver).orElseThrow(
                () -> new AssertionError("the reporter has no " + engine.driver + " stop series"));
        double max = stops.samples().stream().mapToDouble(LatencyStats.Sample::durationMs).max().orElseThrow();
        double p95 = stops.p95Ms().orElseThrow();
        long target = LatencyTargets.stop().toMillis();
        String ratio = baseline == null ? "" : String.format(Locale.ROOT, "; %s/%s: P50 x%.2f, P95 x%.2f", engine.driver,
                baseline.driver(), stops.p50Ms().orElseThrow() / baseline.p50Ms().orElseThrow(), p95 / baseline.p95Ms().orElseThrow());
        run.summary(String.format("%s stop: n=%d P50=%s P95=%s P99=%s max=%s (stopped %d, killed %d)%s, target P95 <= %s: %s",
                engine.driver, stops.samples().size(), fmt(stops.p50Ms()), fmt(p95), fmt(stops.p99Ms()), fmt(max),
                stops.stopped(), stops.killed(), ratio, fmt(target), p95 <= target ? "ok" : "MISSED"));
        assertThat(stops.samples()).hasSizeGreaterThanOrEqualTo(engine.stops.size());
        return stops;
    }

    @AfterAll
    @Timeout(60)
    static void tearDown() throws Exception {
        try {
            if (peers != null) {
                peers.forEach(Peer::close);
            }
            if (podman != null) {
                podman.close();
            }
        } finally {
            if (dockerd != null) {
                dockerd.close();
            }
        }
    }
}
