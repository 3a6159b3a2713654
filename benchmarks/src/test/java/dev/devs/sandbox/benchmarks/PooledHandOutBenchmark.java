package dev.devs.sandbox.benchmarks;

import static dev.devs.sandbox.benchmarks.Measurements.fmt;
import static dev.devs.sandbox.benchmarks.Measurements.ms;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.DockerClient;
import dev.devs.sandbox.PoolClaim;
import dev.devs.sandbox.Sandbox;
import dev.devs.sandbox.spi.SandboxDriver;
import dev.devs.sandbox.SandboxLifecycleEvent;
import dev.devs.sandbox.SandboxLifecycleListener;
import dev.devs.sandbox.SandboxPool;
import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.StartType;
import dev.devs.sandbox.docker.DockerDriver;
import dev.devs.sandbox.metrics.Percentiles;
import dev.devs.sandbox.webcontainer.WebContainerDriver;
import dev.devs.sandbox.webcontainer.testing.StandInRuntime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Pooled hand-outs ({@link SandboxPool}) on both drivers, next to warm starts measured in the same loop:
 * <ul>
 *   <li>sequential: {@value #CLAIMS} plain claims per driver from a pool topped up before each one (the pooled
 *       series of the report, target P95 within {@link LatencyTargets#POOLED}), a warm start every
 *       {@value #WARM_EVERY} claims as the baseline (ratio printed);</li>
 *   <li>customised: a claim with one env variable and one small file every other round, target P95 within
 *       {@link LatencyTargets#POOLED_CUSTOMISED}, ratio to the plain claim;</li>
 *   <li>burst: {@value #BURST} claims at once against a pool of {@value #BURST_POOL} idle sandboxes, which shows the
 *       wait for refills; reported apart (the {@code pools} section), never in the pooled series.</li>
 * </ul>
 * Only the claims' own events reach the run's reporter; the refills' warm starts do not, so the warm series stays
 * the warm benchmark's. WebContainer numbers are measured against the loopback TEST STAND-IN runtime.
 */
@Tag("benchmark")
@Order(6)
@ExtendWith(BenchmarkRunExtension.class)
class PooledHandOutBenchmark {

    static final int CLAIMS = 100;
    static final int WARM_EVERY = 5;
    static final int BURST = 20;
    static final int BURST_POOL = 5;
    static final int MIN_IDLE = 3;
    private static final Duration PATIENCE = Duration.ofSeconds(60);
    private static final PoolClaim CUSTOMISED = PoolClaim.builder().env("API_TOKEN", "bench")
            .file("input.txt", "pooled claim input\n").build();

    private static BenchmarkRun run;
    private static StandInRuntime runtime;
    private static DockerClient docker;
    private static final Map<String, Object> section = Collections.synchronizedMap(new LinkedHashMap<>());

    @BeforeAll
    static void setUp(BenchmarkRun benchmarkRun) {
        run = benchmarkRun;
        runtime = StandInRuntime.start();
        docker = BenchmarkEnvironment.dockerClient();
    }

    @Test
    @Timeout(600)
    void dockerPooledHandOuts() throws Exception {
        measure("docker", DockerDriver::new, BenchmarkEnvironment.spec(BenchmarkEnvironment.REALISTIC_IMAGE, Duration.ofSeconds(30)));
    }

    @Test
    @Timeout(600)
    void webContainerPooledHandOuts() throws Exception {
        measure("webcontainer", () -> WebContainerDriver.builder().chromePath(BenchmarkEnvironment.CHROME_PATH)
                .endpoint(runtime.endpoint()).build(), SandboxSpec.builder().startupTimeout(Duration.ofSeconds(30)).build());
    }

    private static void measure(String driver, Supplier<SandboxDriver> drivers, SandboxSpec template) throws Exception {
        List<Double> plain = new ArrayList<>();
        List<Double> customised = new ArrayList<>();
        List<Double> warm = new ArrayList<>();
        // Plain claims come from one pool, whose provider reports them (the pooled series); customised claims from
        // another, reported apart against their own target; warm starts of the same template from a third.
        try (SandboxProvider provider = SandboxProvider.builder(drivers.get()).sessionId(BenchmarkEnvironment.SESSION).build();
             SandboxProvider customProvider = SandboxProvider.builder(drivers.get()).sessionId(BenchmarkEnvironment.SESSION).build();
             SandboxProvider baseline = SandboxProvider.builder(drivers.get()).sessionId(BenchmarkEnvironment.SESSION).build();
             SandboxPool pool = SandboxPool.builder(provider, template).name(driver + "-bench").minIdle(MIN_IDLE).maxSize(2 * MIN_IDLE)
                     .build();
             SandboxPool customPool = SandboxPool.builder(customProvider, template).name(driver + "-custom").minIdle(MIN_IDLE)
                     .maxSize(2 * MIN_IDLE).build()) {
            for (int i = 0; i < 3; i++) { // warm-up: class loading and JIT of the hand-out path, the baseline's first start
                topUp(pool);
                try (Sandbox s = pool.acquire(PATIENCE)) {
                    run.warmup(driver + " pooled", Measurements.Sample.of(s));
                }
                topUp(customPool);
                try (Sandbox s = customPool.acquire(CUSTOMISED, PATIENCE)) {
                    run.warmup(driver + " pooled customised", Measurements.Sample.of(s));
                }
                try (Sandbox s = baseline.start(template)) {
                    run.warmup(driver + " pooled-baseline warm", Measurements.Sample.of(s));
                }
            }
            provider.addListener(claimsOnly(run.listeners()));
            for (int round = 0; round < CLAIMS; round++) {
                topUp(pool, customPool);
                try (Sandbox s = pool.acquire(PATIENCE)) {
                    assertThat(s.startType()).isEqualTo(StartType.POOLED);
                    plain.add(ms(s.provisioningDuration()));
                }
                if (round % 2 == 0) {
                    topUp(pool, customPool);
                    try (Sandbox s = customPool.acquire(CUSTOMISED, PATIENCE)) {
                        customised.add(ms(s.provisioningDuration()));
                        if (round == 0) {
                            assertThat(s.exec("cat", "input.txt").stdout()).isEqualTo("pooled claim input\n");
                        }
                    }
                }
                if (round % WARM_EVERY == 0) {
                    try (Sandbox s = baseline.start(template)) {
                        assertThat(s.startType()).isEqualTo(StartType.WARM);
                        warm.add(ms(s.provisioningDuration()));
                    }
                }
            }
        }
        List<Double> burst = burst(drivers, template, driver);
        report(driver, plain, customised, warm, burst);
    }

    /**
     * Waits until every pool holds its minimum of idle sandboxes again and no refill runs: the sequential claims
     * measure pools that are not drained, and no refill of the other pool (a page load and a boot, or a container
     * start, on the same two cores) runs under the claim being measured.
     */
    private static void topUp(SandboxPool... pools) {
        for (SandboxPool pool : pools) {
            await().atMost(PATIENCE).pollInterval(Duration.ofMillis(5))
                    .until(() -> pool.stats().idle() >= MIN_IDLE && pool.stats().starting() == 0);
        }
    }

    private static List<Double> burst(Supplier<SandboxDriver> drivers, SandboxSpec template, String driver) throws Exception {
        List<Double> waits = Collections.synchronizedList(new ArrayList<>());
        ExecutorService threads = Executors.newFixedThreadPool(BURST);
        try (SandboxProvider provider = SandboxProvider.builder(drivers.get()).sessionId(BenchmarkEnvironment.SESSION).build();
             SandboxPool pool = SandboxPool.builder(provider, template).name(driver + "-burst").minIdle(BURST_POOL).maxSize(BURST)
                     .build()) {
            await().atMost(PATIENCE).until(() -> pool.stats().idle() == BURST_POOL);
            CyclicBarrier together = new CyclicBarrier(BURST);
            List<CompletableFuture<Sandbox>> claims = new ArrayList<>();
            for (int i = 0; i < BURST; i++) {
                claims.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        together.await(30, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                    Sandbox s = pool.acquire(PATIENCE);
                    waits.add(ms(s.provisioningDuration()));
                    return s;
                }, threads));
            }
            for (CompletableFuture<Sandbox> claim : claims) {
                claim.get(120, TimeUnit.SECONDS).stop();
            }
        } finally {
            threads.shutdown();
        }
        return waits;
    }

    private static void report(String driver, List<Double> plain, List<Double> customised, List<Double> warm, List<Double> burst) {
        double plainP50 = Percentiles.of(plain, 50).orElseThrow();
        double plainP95 = Percentiles.of(plain, 95).orElseThrow();
        double customP50 = Percentiles.of(customised, 50).orElseThrow();
        double customP95 = Percentiles.of(customised, 95).orElseThrow();
        double warmP50 = Percentiles.of(warm, 50).orElseThrow();
        Map<String, Object> numbers = new LinkedHashMap<>();
        numbers.put("plain", stats(plain));
        numbers.put("customised", stats(customised));
        numbers.put("warmBaseline", stats(warm));
        numbers.put("burst", stats(burst));
        numbers.put("warmOverPlainP50", warmP50 / plainP50);
        numbers.put("warmOverCustomisedP50", warmP50 / customP50);
        numbers.put("customisedOverPlainP50", customP50 / plainP50);
        if (driver.equals("webcontainer")) {
            numbers.put("runtime", StandInRuntime.RUNTIME);
        }
        section.put(driver, numbers);
        run.putSection("pools", new LinkedHashMap<>(section));
        long target = LatencyTargets.POOLED.toMillis();
        long customTarget = LatencyTargets.POOLED_CUSTOMISED.toMillis();
        run.summary(String.format("%s pooled hand-out%s: %s, target P95 <= %d ms: %s; warm start in the same loop %s:"
                        + " %.0fx the pooled P50", driver, driver.equals("webcontainer") ? " (TEST STAND-IN runtime)" : "",
                Measurements.percentiles(plain), target, plainP95 <= target ? "ok" : "MISSED", Measurements.percentiles(warm),
                warmP50 / plainP50));
        run.summary(String.format("%s customised claim (env + 1 file): %s, target P95 <= %d ms: %s; %.1fx the plain claim,"
                        + " warm start %.0fx it", driver, Measurements.percentiles(customised), customTarget,
                customP95 <= customTarget ? "ok" : "MISSED", customP50 / plainP50, warmP50 / customP50));
        run.summary(String.format("%s burst of %d claims on a pool of %d idle: %s, max %s (waits for refills; not in the"
                + " pooled series)", driver, BURST, BURST_POOL, Measurements.percentiles(burst),
                fmt(burst.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN))));
        assertThat(plain).hasSizeGreaterThanOrEqualTo(CLAIMS);
        assertThat(burst).hasSize(BURST);
        assertThat(plainP95).as("%s pooled hand-out P95 (ms)", driver).isLessThanOrEqualTo(target);
        assertThat(customP95).as("%s customised pooled hand-out P95 (ms)", driver).isLessThanOrEqualTo(customTarget);
    }

    private static Map<String, Object> stats(List<Double> samples) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("count", samples.size());
        m.put("p50Ms", Measurements.boxed(Percentiles.of(samples, 50)));
        m.put("p95Ms", Measurements.boxed(Percentiles.of(samples, 95)));
        m.put("p99Ms", Measurements.boxed(Percentiles.of(samples, 99)));
        m.put("samplesMs", List.copyOf(samples));
        return m;
    }

    /** Forwards the claims' events (start type pooled) and drops the refills' cold and warm ones. */
    private static SandboxLifecycleListener claimsOnly(List<SandboxLifecycleListener> listeners) {
        return event -> {
            boolean claim = event instanceof SandboxLifecycleEvent.Ready r && r.startType() == StartType.POOLED
                    || event instanceof SandboxLifecycleEvent.Failed f && f.startType().orElse(null) == StartType.POOLED
                    || event instanceof SandboxLifecycleEvent.Ended e && e.startType() == StartType.POOLED;
            if (claim) {
                listeners.forEach(l -> l.onEvent(event));
            }
        };
    }

    @AfterAll
    @Timeout(60)
    static void tearDown() throws Exception {
        try {
            BenchmarkEnvironment.closeAndCheckNothingLeft(docker, () -> { });
        } finally {
            runtime.close();
        }
    }
}
