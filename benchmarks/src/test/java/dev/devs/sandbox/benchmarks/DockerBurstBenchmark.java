package dev.devs.sandbox.benchmarks;

import static dev.devs.sandbox.benchmarks.Measurements.fmt;
import static dev.devs.sandbox.benchmarks.Measurements.ms;
import static java.util.Collections.synchronizedList;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.DockerClient;
import dev.devs.sandbox.Sandbox;
import dev.devs.sandbox.SandboxLifecycleEvent;
import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.docker.DockerDriver;
import dev.devs.sandbox.internal.DaemonThreads;
import dev.devs.sandbox.metrics.Percentiles;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Bursts: {@code size} starts at once (100 and 300) on dockerd and on Podman, the driver (its admission gate at its
 * default bound) against a raw docker-java flood of the same size with the same settings, in the same run and in the
 * order raw, driver, driver, raw, so that a drift of the machine's load weighs on both sides alike. Each burst is
 * stopped and removed before the next. For each side: attempted, ready, failed, P50/P95/P99 over all attempted starts
 * (a failed start counts as slower than any success; P95 is undefined when more than 5 % failed), starts per second,
 * peak heap growth, stop-all time, and for the driver the time spent queued and a stop's phases. The report's
 * {@code burst} section holds one entry per engine and size; the analyzer judges them (any failure fails the run).
 *
 * <p>With {@code -Ddevs.burst.bounds=1,2,4,8,16,unbounded} the class measures instead the curve that chose the
 * default bound (docs/operations/admission.md): one driver burst of {@code devs.burst.curveSize} (300) per bound and
 * engine, written to the {@code burstCurve} section.
 */
@Tag("benchmark")
@Order(7)
@ExtendWith(BenchmarkRunExtension.class)
class DockerBurstBenchmark {

    static final String TINY_IMAGE = System.getenv().getOrDefault("DEVS_TINY_IMAGE", "devs-sandbox-busybox:1");
    static final List<Integer> SIZES = ints(System.getProperty("devs.burst.sizes", "100,300"));
    /** The sides' order at each size; a shorter one (raw,driver) only for a measurement that must fit a short slot. */
    static final List<String> ORDER = Arrays.stream(System.getProperty("devs.burst.order", "raw,driver,driver,raw").split(","))
            .map(String::trim).toList();
    static final String CURVE_BOUNDS = System.getProperty("devs.burst.bounds", "");
    static final int CURVE_SIZE = Integer.parseInt(System.getProperty("devs.burst.curveSize", "300"));
    /** Targets: the gate should beat the flood's P95 and keep its throughput, in bounded memory. */
    static final double P95_RATIO_TARGET = 0.8;
    static final double THROUGHPUT_RATIO_TARGET = 0.95;
    static final double HEAP_TARGET_MB = 64;

    private static final SandboxSpec SPEC = BenchmarkEnvironment.spec(TINY_IMAGE, Duration.ofSeconds(180));
    private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();

    private static BenchmarkRun run;
    private static ExecutorService threads;
    private static final List<Map<String, Object>> BURSTS = synchronizedList(new ArrayList<>());
    private static final List<Map<String, Object>> CURVE = synchronizedList(new ArrayList<>());

    @BeforeAll
    static void setUp(BenchmarkRun benchmarkRun) {
        run = benchmarkRun;
        threads = Executors.newCachedThreadPool(DaemonThreads.named("burst-raw"));
    }

    @Test
    @Timeout(1800)
    void burstsOnEachEngineDriverAgainstARawFloodOfTheSameSize() throws Exception {
        List<String[]> engines = new ArrayList<>();
        engines.add(new String[] {DockerDriver.NAME, BenchmarkEnvironment.DOCKER_HOST});
        if (!BenchmarkEnvironment.PODMAN_HOST.isBlank()) {
            engines.add(new String[] {"podman", BenchmarkEnvironment.PODMAN_HOST});
        } else {
            run.summary("burst: podman skipped, no Podman service configured (-Ddevs.podman.host or DEVS_PODMAN_HOST)");
        }
        for (String[] engine : engines) {
            if (!CURVE_BOUNDS.isBlank()) {
                curve(engine[0], engine[1]);
                continue;
            }
            for (int size : SIZES) {
                bursts(engine[0], engine[1], size);
            }
        }
        if (!CURVE.isEmpty()) {
            run.putSection("burstCurve", List.copyOf(CURVE));
        }
        if (!BURSTS.isEmpty()) {
            run.putSection("burst", List.copyOf(BURSTS));
        }
    }

    /** Raw, driver, driver, raw at {@code size}; one {@code burst} entry. */
    private static void bursts(String driver, String host, int size) throws Exception {
        try (DockerClient raw = BenchmarkEnvironment.dockerClientFor(host, size);
             Side ours = Side.open(driver, host, DockerDriver.DEFAULT_MAX_ENGINE_OPERATIONS)) {
            ours.warmUp();
            Outcome rawAll = new Outcome();
            Outcome driverAll = new Outcome();
            for (String sideName : ORDER) {
                if (sideName.equals("raw")) {
                    rawAll.add(rawBurst(raw, size));
                } else {
                    driverAll.add(ours.burst(size));
                }
            }
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("engine", driver);
            entry.put("size", size);
            entry.put("order", String.join(",", ORDER));
            entry.put("image", TINY_IMAGE);
            entry.put("maxEngineOperations", DockerDriver.DEFAULT_MAX_ENGINE_OPERATIONS);
            entry.put("driver", driverAll.describe());
            entry.put("raw", rawAll.describe());
            Double p95Ratio = ratio(driverAll.percentile(95), rawAll.percentile(95));
            Double throughputRatio = ratio(driverAll.startsPerSecond(), rawAll.startsPerSecond());
            entry.put("p95RatioDriverToRaw", p95Ratio);
            entry.put("p95RatioTarget", P95_RATIO_TARGET);
            entry.put("throughputRatioDriverToRaw", throughputRatio);
            entry.put("throughputRatioTarget", THROUGHPUT_RATIO_TARGET);
            entry.put("heapTargetMb", HEAP_TARGET_MB);
            entry.put("stopPhasesP50P95", summarize(ours.stopPhases));
            entry.put("startPhasesP50P95", summarize(ours.startPhases));
            BURSTS.add(entry);
            run.summary(String.format(Locale.ROOT, "%s burst of %d (%s): driver %s; raw %s; P95 driver/raw x%s"
                            + " (target <= %.2f), starts/s driver/raw x%s (target >= %.2f); driver queued P50/P95 %s; stop phases %s",
                    driver, size, String.join(", ", ORDER), driverAll.line(), rawAll.line(), fmtRatio(p95Ratio), P95_RATIO_TARGET, fmtRatio(throughputRatio),
                    THROUGHPUT_RATIO_TARGET, driverAll.queuedLine(), summarize(ours.stopPhases)));
            assertThat(BenchmarkEnvironment.sessionContainers(ours.client)).as("containers left after the bursts").isEmpty();
        }
    }

    /** One driver burst of {@link #CURVE_SIZE} per bound; one {@code burstCurve} entry each. */
    private static void curve(String driver, String host) throws Exception {
        for (String b : CURVE_BOUNDS.split(",")) {
            String bound = b.trim();
            int n = "unbounded".equals(bound) ? DockerDriver.UNBOUNDED_ENGINE_OPERATIONS : Integer.parseInt(bound);
            try (Side ours = Side.open(driver, host, n)) {
                ours.warmUp();
                Outcome o = new Outcome();
                o.add(ours.burst(CURVE_SIZE));
                Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("engine", driver);
                entry.put("size", CURVE_SIZE);
                entry.put("maxEngineOperations", bound);
                entry.putAll(o.describe());
                CURVE.add(entry);
                run.summary(String.format(Locale.ROOT, "%s curve, bound %s, burst of %d: %s; queued P50/P95 %s", driver, bound,
                        CURVE_SIZE, o.line(), o.queuedLine()));
            }
        }
    }

    /** {@code size} raw create + start + inspect at once, kept until all are up, then removed in parallel. */
    private static Burst rawBurst(DockerClient raw, int size) throws Exception {
        List<String> ids = synchronizedList(new ArrayList<>());
        HeapPeak heap = HeapPeak.start();
        long t0 = System.nanoTime();
        List<CompletableFuture<Duration>> starts = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            String sampleId = Measurements.sampleId("burst-raw");
            starts.add(CompletableFuture.supplyAsync(() -> rawStart(raw, sampleId, ids), threads));
        }
        Burst burst = new Burst();
        for (CompletableFuture<Duration> f : starts) {
            try {
                burst.readyMs.add(ms(f.get(600, TimeUnit.SECONDS)));
            } catch (ExecutionException e) {
                burst.failures.add(String.valueOf(e.getCause()));
            }
        }
        burst.wallMs = ms(Duration.ofNanos(System.nanoTime() - t0));
        burst.heapPeakBytes = heap.stop();
        long s0 = System.nanoTime();
        List<CompletableFuture<Void>> removals = new ArrayList<>();
        for (String id : List.copyOf(ids)) {
            removals.add(CompletableFuture.runAsync(() -> raw.removeContainerCmd(id).withForce(true).withRemoveVolumes(true).exec(), threads));
        }
        CompletableFuture.allOf(removals.toArray(CompletableFuture[]::new)).get(300, TimeUnit.SECONDS);
        burst.stopAllMs = ms(Duration.ofNanos(System.nanoTime() - s0));
        return burst;
    }

    /** The raw peer's start, as {@link RawEngineApiPeer} does it, but the container is kept for the whole burst. */
    private static Duration rawStart(DockerClient raw, String sampleId, List<String> ids) {
        long t0 = System.nanoTime();
        String id = raw.createContainerCmd(SPEC.image()).withName(sampleId).withCmd(SPEC.command()).withEnv(PeerContainers.env(SPEC))
                .withUser(SPEC.user().isEmpty() ? null : SPEC.user()).withWorkingDir(SPEC.workDir())
                .withLabels(PeerContainers.labels(SPEC, sampleId, "raw-engine-api")).withHostConfig(PeerContainers.hostConfig(SPEC))
                .exec().getId();
        ids.add(id);
        raw.startContainerCmd(id).exec();
        var state = raw.inspectContainerCmd(id).exec().getState();
        if (!Boolean.TRUE.equals(state.getRunning())) {
            throw new IllegalStateException("raw burst sample " + sampleId + " is not running after start: " + state.getStatus());
        }
        return Duration.ofNanos(System.nanoTime() - t0);
    }

    /** Our driver on one engine, at one admission bound, with the phases of its starts and stops. */
    private static final class Side implements AutoCloseable {
        final DockerClient client;
        final SandboxProvider provider;
        final Map<String, List<Double>> startPhases = new ConcurrentHashMap<>();
        final Map<String, List<Double>> stopPhases = new ConcurrentHashMap<>();

        private Side(DockerClient client, SandboxProvider provider) {
            this.client = client;
            this.provider = provider;
        }

        static Side open(String driver, String host, int bound) {
            Map<String, List<Double>> stops = new ConcurrentHashMap<>();
            SandboxProvider provider = SandboxProvider.builder(DockerDriver.builder().name(driver).dockerHost(host).maxEngineOperations(bound).build())
                    .sessionId(BenchmarkEnvironment.SESSION)
                    .listener(e -> {
                        if (e instanceof SandboxLifecycleEvent.Stopped || e instanceof SandboxLifecycleEvent.Killed) {
                            ((SandboxLifecycleEvent.Timed) e).phases().forEach((phase, took) ->
                                    stops.computeIfAbsent(phase, k -> synchronizedList(new ArrayList<>())).add(ms(took)));
                        }
                    })
                    .build();
            Side side = new Side(BenchmarkEnvironment.dockerClientFor(host, 32), provider);
            side.stopsFrom = stops;
            return side;
        }

        /** What the provider's listener collects, moved into {@link #stopPhases} after each measured burst. */
        Map<String, List<Double>> stopsFrom;

        void warmUp() {
            try (Sandbox sandbox = provider.start(SPEC)) {
                run.warmup("burst " + sandbox.driver(), Measurements.Sample.of(sandbox));
            }
            stopsFrom.clear();
        }

        Burst burst(int size) throws Exception {
            HeapPeak heap = HeapPeak.start();
            long t0 = System.nanoTime();
            List<CompletableFuture<Sandbox>> starts = new ArrayList<>();
            for (int i = 0; i < size; i++) {
                starts.add(provider.startAsync(SPEC));
            }
            Burst burst = new Burst();
            List<Sandbox> ready = new ArrayList<>();
            for (CompletableFuture<Sandbox> f : starts) {
                try {
                    Sandbox s = f.get(600, TimeUnit.SECONDS);
                    ready.add(s);
                    burst.readyMs.add(ms(s.provisioningDuration()));
                    burst.queuedMs.add(ms(s.phases().getOrDefault(DockerDriver.QUEUED_PHASE, Duration.ZERO)));
                    s.phases().forEach((phase, took) -> startPhases.computeIfAbsent(phase, k -> synchronizedList(new ArrayList<>())).add(ms(took)));
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause() instanceof CompletionException c ? c.getCause() : e.getCause();
                    burst.failures.add(String.valueOf(cause.getMessage()));
                }
            }
            burst.wallMs = ms(Duration.ofNanos(System.nanoTime() - t0));
            burst.heapPeakBytes = heap.stop();
            long s0 = System.nanoTime();
            List<CompletableFuture<Duration>> stops = new ArrayList<>();
            for (Sandbox s : ready) {
                stops.add(CompletableFuture.supplyAsync(() -> Measurements.stopAndCheck(client, s), threads));
            }
            for (CompletableFuture<Duration> stop : stops) {
                stop.get(300, TimeUnit.SECONDS);
            }
            burst.stopAllMs = ms(Duration.ofNanos(System.nanoTime() - s0));
            stopsFrom.forEach((phase, samples) -> stopPhases.computeIfAbsent(phase, k -> synchronizedList(new ArrayList<>())).addAll(samples));
            stopsFrom.clear();
            return burst;
        }

        @Override
        public void close() throws Exception {
            BenchmarkEnvironment.closeAndCheckNothingLeft(client, () -> { }, provider);
        }
    }

    /** One burst of one side. */
    private static final class Burst {
        final List<Double> readyMs = new ArrayList<>();
        final List<Double> queuedMs = new ArrayList<>();
        final List<String> failures = new ArrayList<>();
        double wallMs;
        double stopAllMs;
        long heapPeakBytes;
    }

    /** The bursts of one side at one size, pooled. */
    private static final class Outcome {
        final List<Burst> bursts = new ArrayList<>();

        void add(Burst b) {
            bursts.add(b);
        }

        int ready() {
            return bursts.stream().mapToInt(b -> b.readyMs.size()).sum();
        }

        int failed() {
            return bursts.stream().mapToInt(b -> b.failures.size()).sum();
        }

        int attempted() {
            return ready() + failed();
        }

        /** Over all attempted starts, a failure slower than any success; null when undefined (more failed than 100 - p %). */
        Double percentile(double p) {
            List<Double> all = new ArrayList<>();
            bursts.forEach(b -> all.addAll(b.readyMs));
            for (int i = 0; i < failed(); i++) {
                all.add(Double.POSITIVE_INFINITY);
            }
            if (all.isEmpty()) {
                return null;
            }
            double v = Percentiles.of(all, p).orElseThrow();
            return Double.isInfinite(v) ? null : v;
        }

        Double startsPerSecond() {
            double wall = bursts.stream().mapToDouble(b -> b.wallMs).sum();
            return wall <= 0 ? null : ready() / (wall / 1000.0);
        }

        Map<String, Object> describe() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("attempted", attempted());
            m.put("ready", ready());
            m.put("failed", failed());
            m.put("p50Ms", percentile(50));
            m.put("p95Ms", percentile(95));
            m.put("p99Ms", percentile(99));
            m.put("startsPerSecond", startsPerSecond());
            m.put("heapPeakMb", bursts.stream().mapToLong(b -> b.heapPeakBytes).max().orElse(0) / (1024.0 * 1024.0));
            m.put("stopAllMs", bursts.stream().map(b -> b.stopAllMs).toList());
            List<Double> queued = queued();
            if (!queued.isEmpty()) {
                m.put("queuedP50Ms", Percentiles.of(queued, 50).orElseThrow());
                m.put("queuedP95Ms", Percentiles.of(queued, 95).orElseThrow());
            }
            m.put("samplesMs", bursts.stream().flatMap(b -> b.readyMs.stream()).toList());
            m.put("firstFailures", bursts.stream().flatMap(b -> b.failures.stream()).limit(5).toList());
            return m;
        }

        List<Double> queued() {
            return bursts.stream().flatMap(b -> b.queuedMs.stream()).toList();
        }

        String line() {
            Double p95 = percentile(95);
            return String.format(Locale.ROOT, "%d attempted, %d ready, %d failed, P50 %s P95 %s P99 %s, %.1f starts/s, heap peak +%.1f MB,"
                            + " stop-all %s", attempted(), ready(), failed(), fmtMs(percentile(50)),
                    p95 == null ? "undefined (more than 5 % failed)" : fmt(p95), fmtMs(percentile(99)),
                    startsPerSecond() == null ? Double.NaN : startsPerSecond(),
                    bursts.stream().mapToLong(b -> b.heapPeakBytes).max().orElse(0) / (1024.0 * 1024.0),
                    bursts.stream().map(b -> fmt(b.stopAllMs)).toList());
        }

        String queuedLine() {
            List<Double> q = queued();
            return q.isEmpty() ? "-" : fmt(Percentiles.of(q, 50)) + " / " + fmt(Percentiles.of(q, 95));
        }
    }

    /** Heap used above what it was (after a collection) when the burst began, sampled every 10 ms: garbage included. */
    private static final class HeapPeak {
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final AtomicLong peak = new AtomicLong();
        private Thread sampler;
        private long base;

        static HeapPeak start() throws InterruptedException {
            HeapPeak h = new HeapPeak();
            h.base = Measurements.heapUsedAfterGc();
            h.sampler = DaemonThreads.named("burst-heap").newThread(() -> {
                while (h.running.get()) {
                    h.peak.accumulateAndGet(MEMORY.getHeapMemoryUsage().getUsed(), Math::max);
                    try {
                        Thread.sleep(10);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            h.sampler.start();
            return h;
        }

        long stop() throws InterruptedException {
            running.set(false);
            sampler.join();
            return Math.max(0, peak.get() - base);
        }
    }

    private static Map<String, String> summarize(Map<String, List<Double>> phases) {
        Map<String, String> out = new TreeMap<>();
        phases.forEach((phase, samples) -> out.put(phase, fmt(Percentiles.of(samples, 50)) + " / " + fmt(Percentiles.of(samples, 95))));
        return out;
    }

    private static Double ratio(Double ours, Double theirs) {
        return ours == null || theirs == null || theirs == 0 ? null : ours / theirs;
    }

    private static String fmtRatio(Double r) {
        return r == null ? "undefined" : String.format(Locale.ROOT, "%.2f", r);
    }

    private static String fmtMs(Double ms) {
        return ms == null ? "undefined" : fmt(ms);
    }

    private static List<Integer> ints(String csv) {
        return Arrays.stream(csv.split(",")).map(String::trim).filter(s -> !s.isEmpty()).map(Integer::parseInt).toList();
    }

    @AfterAll
    @Timeout(120)
    static void tearDown() {
        if (threads != null) {
            threads.shutdownNow();
        }
    }
}
