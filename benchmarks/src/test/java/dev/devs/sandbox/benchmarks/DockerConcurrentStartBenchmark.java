package dev.devs.sandbox.benchmarks;

import static dev.devs.sandbox.benchmarks.BenchmarkEnvironment.REALISTIC_IMAGE;
import static dev.devs.sandbox.benchmarks.Measurements.fmt;
import static dev.devs.sandbox.benchmarks.Measurements.ms;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.github.dockerjava.api.DockerClient;
import dev.devs.sandbox.Sandbox;
import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.docker.DockerDriver;
import dev.devs.sandbox.metrics.Percentiles;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Five Docker sandboxes started at once with {@code CompletableFuture.allOf}: all must start. How long until all
 * were ready (goal: 60 s) and the P95 of their individual provisioning times (goal: 30 s) are reported beside
 * their goals, not judged: the README's exit code judges only the P95 targets it lists. The individual times go into the
 * report's {@code concurrency} section, not into the docker/warm series: they are measured under contention
 * with each other, and the warm series is what the peers are compared with, sample for sample.
 */
@Tag("benchmark")
@Order(3)
@ExtendWith(BenchmarkRunExtension.class)
class DockerConcurrentStartBenchmark {

    static final int SANDBOXES = 5;
    static final Duration ALL_READY_WITHIN = Duration.ofSeconds(60);
    static final Duration P95_TARGET = Duration.ofSeconds(30);

    private static final SandboxSpec SPEC = BenchmarkEnvironment.spec(REALISTIC_IMAGE, Duration.ofSeconds(55));

    private static BenchmarkRun run;
    private static DockerClient docker;
    private static SandboxProvider provider;

    @BeforeAll
    @Timeout(60)
    static void setUp(BenchmarkRun benchmarkRun) {
        run = benchmarkRun;
        docker = BenchmarkEnvironment.dockerClient();
        provider = SandboxProvider.builder(new DockerDriver()).sessionId(BenchmarkEnvironment.SESSION).build();
        // Warm-up, outside the measured samples (reported in the warmup section): the driver's client and pool.
        try (Sandbox sandbox = provider.start(SPEC)) {
            run.warmup("docker concurrent", Measurements.Sample.of(sandbox));
        }
    }

    @Test
    @Timeout(360) // a hang guard, not a judgement
    void fiveConcurrentStartsAllBecomeReadyAndTheirWallTimeAndP95AreReported() throws Exception {
        List<CompletableFuture<Sandbox>> starts = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int i = 0; i < SANDBOXES; i++) {
            starts.add(provider.startAsync(SPEC));
        }
        List<Sandbox> sandboxes = new ArrayList<>();
        try {
            CompletableFuture.allOf(starts.toArray(CompletableFuture[]::new))
                    .get(5, TimeUnit.MINUTES); // a hang guard: a slow start is reported, a stuck one fails
            Duration wall = Duration.ofNanos(System.nanoTime() - t0);
            starts.forEach(f -> sandboxes.add(f.join()));

            List<Measurements.Sample> samples = new ArrayList<>();
            for (Sandbox s : sandboxes) {
                samples.add(Measurements.Sample.of(s));
                System.out.printf("[benchmark] docker concurrent %s: %s (%s)%n", s.id(),
                        fmt(ms(s.provisioningDuration())), Measurements.phases(s.phases()));
            }
            List<Double> values = samples.stream().map(Measurements.Sample::durationMs).toList();
            double p95 = Percentiles.of(values, 95).orElseThrow();
            run.putSection("concurrency", new Concurrency(SANDBOXES, "docker", REALISTIC_IMAGE, ms(wall), samples,
                    Percentiles.of(values, 50).orElseThrow(), p95, Percentiles.of(values, 99).orElseThrow(),
                    ALL_READY_WITHIN.toMillis(), P95_TARGET.toMillis()));
            run.summary(String.format("docker %d concurrent starts: all ready after %s (limit %s); %s, target P95 <= %s: %s",
                    SANDBOXES, fmt(ms(wall)), fmt(ALL_READY_WITHIN.toMillis()), Measurements.percentiles(values),
                    fmt(P95_TARGET.toMillis()), p95 <= P95_TARGET.toMillis() ? "ok" : "MISSED"));

            // Report only: the wall time and this P95 are printed beside their goals, not judged (the README's exit
            // code judges only the P95 targets it lists). What is asserted is that every start worked.
            assertThat(sandboxes).hasSize(SANDBOXES).allSatisfy(s -> assertThat(s.isAlive()).isTrue());
        } finally {
            // Whatever started is stopped, also when the assertions above failed; stops run in parallel.
            List<CompletableFuture<Duration>> stops = new ArrayList<>();
            for (CompletableFuture<Sandbox> f : starts) {
                stops.add(f.thenApplyAsync(s -> Measurements.stopAndCheck(docker, s)));
            }
            for (CompletableFuture<Duration> stop : stops) {
                try {
                    stop.get(10, TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException e) {
                    if (e.getCause() instanceof AssertionError a) {
                        throw a;
                    }
                    // A start that failed has nothing to stop: its failure is reported above.
                }
            }
        }
    }

    @AfterAll
    @Timeout(60)
    static void tearDown() throws Exception {
        BenchmarkEnvironment.closeAndCheckNothingLeft(docker, () -> { }, provider);
    }

    /** The report's {@code concurrency} section. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Concurrency(int sandboxes, String driver, String image, double wallClockMs, List<Measurements.Sample> samples,
                       double p50Ms, double p95Ms, double p99Ms, long allReadyLimitMs, long targetP95Ms) {
    }
}
