package dev.devs.sandbox.benchmarks;

import static dev.devs.sandbox.benchmarks.Measurements.fmt;
import static org.assertj.core.api.Assertions.assertThat;

import dev.devs.sandbox.Sandbox;
import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.StartType;
import dev.devs.sandbox.metrics.LatencyStats;
import dev.devs.sandbox.webcontainer.WebContainerDriver;
import dev.devs.sandbox.webcontainer.testing.StandInRuntime;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
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
 * WebContainer start, target: each series' P95 within {@link LatencyTargets#WEBCONTAINER} (the JUnit timeout of
 * 15 s per sample only stops a hung sample), cold (Chromium launched for the sandbox)
 * and warm (Chromium already running), in real headless Chromium with the unmodified {@code @webcontainer/api}
 * client.
 *
 * <p>StackBlitz's hosted runtime cannot be reached from the build machines, so the client boots against the
 * TEST STAND-IN of its {@code /headless} endpoint on loopback ({@link StandInRuntime}). These numbers measure
 * our driver, the browser and the client, not StackBlitz's runtime: the series carry {@code runtime=test-stand-in}
 * and the stand-in's endpoint, and every line printed here says so.
 */
@Tag("benchmark")
@Order(5)
@ExtendWith(BenchmarkRunExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WebContainerStartBenchmark {

    static final int COLD_SAMPLES = 3;
    static final int WARM_SAMPLES = 30;
    static final int WARM_UP_STARTS = 3;
    static final Duration TARGET = LatencyTargets.WEBCONTAINER;
    static final String STAND_IN_NOTE = "against the loopback TEST STAND-IN runtime, not StackBlitz";

    private static final SandboxSpec SPEC = SandboxSpec.builder().startupTimeout(Duration.ofSeconds(14)).build();

    private static BenchmarkRun run;
    private static StandInRuntime runtime;
    private static SandboxProvider warmProvider;

    @BeforeAll
    @Timeout(60)
    static void setUp(BenchmarkRun benchmarkRun) {
        run = benchmarkRun;
        runtime = StandInRuntime.start();
        warmProvider = SandboxProvider.builder(newDriver()).sessionId(BenchmarkEnvironment.SESSION).build();
        // Warm-up, outside the measured series (reported in the warmup section): the first start launches
        // Chromium (cold); the next ones warm the JIT and the browser.
        for (int i = 0; i < WARM_UP_STARTS; i++) {
            try (Sandbox sandbox = warmProvider.start(SPEC)) {
                run.warmup("webcontainer " + sandbox.startType().wireName() + " [" + sandbox.attributes().get("runtime") + "]",
                        Measurements.Sample.of(sandbox));
            }
        }
        run.record(warmProvider);
    }

    /** Each cold sample gets a driver of its own, whose first start launches its own Chromium. */
    @RepeatedTest(value = COLD_SAMPLES, name = "cold start {currentRepetition}/{totalRepetitions}")
    // A hang guard, not a judgement: one slow sample never fails the run.
    @Timeout(120)
    @Order(1)
    void coldSample(RepetitionInfo info) {
        try (SandboxProvider provider = SandboxProvider.builder(newDriver()).sessionId(BenchmarkEnvironment.SESSION).build()) {
            run.record(provider);
            sample(provider, StartType.COLD, info);
        }
    }

    @RepeatedTest(value = WARM_SAMPLES, name = "warm start {currentRepetition}/{totalRepetitions}")
    // A hang guard, not a judgement: one slow sample never fails the run.
    @Timeout(120)
    @Order(2)
    void warmSample(RepetitionInfo info) {
        sample(warmProvider, StartType.WARM, info);
    }

    /** One measured start of {@code provider}, which must be of {@code expected} type, on the stand-in; then its stop. */
    private static void sample(SandboxProvider provider, StartType expected, RepetitionInfo info) {
        Sandbox sandbox = provider.start(SPEC);
        try {
            Measurements.printSample("webcontainer " + expected.wireName(), info, STAND_IN_NOTE, sandbox);
            assertThat(sandbox.startType()).isEqualTo(expected);
            assertThat(sandbox.attributes()).containsEntry("runtime", StandInRuntime.RUNTIME);
        } finally {
            sandbox.stop();
        }
    }

    @Test
    @Order(3)
    void webContainerSeriesAreReportedAsMeasuredAgainstTheStandIn() {
        LatencyStats stats = run.reporter().stats();
        for (StartType type : new StartType[] {StartType.COLD, StartType.WARM}) {
            LatencyStats.Series s = stats.series(WebContainerDriver.NAME, type).orElseThrow(
                    () -> new AssertionError("the reporter has no webcontainer/" + type.wireName() + " series"));
            double p95 = s.p95Ms().orElseThrow();
            run.summary(String.format("webcontainer %s (%s, %s): n=%d P50=%s P95=%s P99=%s, target P95 <= %s: %s",
                    type.wireName(), STAND_IN_NOTE, s.attribute("endpoint").orElse("?"), s.samples().size(), fmt(s.p50Ms()), fmt(p95),
                    fmt(s.p99Ms()), fmt(TARGET.toMillis()), p95 <= TARGET.toMillis() ? "within (not judged: stand-in)" : "over (not judged: stand-in)"));
            assertThat(s.attribute("runtime")).as("runtime of the webcontainer/%s series", type.wireName())
                    .contains(StandInRuntime.RUNTIME);
            assertThat(s.samples()).hasSizeGreaterThanOrEqualTo(type == StartType.COLD ? COLD_SAMPLES : WARM_SAMPLES);
            // Report only: measured against the test stand-in, this P95 says nothing of StackBlitz's runtime; it is
            // printed beside the target, labelled, and the analyzer marks it NOT JUDGED.
        }
    }

    @AfterAll
    @Timeout(30)
    static void tearDown() {
        try {
            if (warmProvider != null) {
                warmProvider.close();
            }
        } finally {
            if (runtime != null) {
                runtime.close();
            }
        }
    }

    private static WebContainerDriver newDriver() {
        return WebContainerDriver.builder()
                .chromePath(BenchmarkEnvironment.CHROME_PATH)
                .endpoint(runtime.endpoint())
                .build();
    }

    /**
     * The round trip of {@code exec("true")} through the runtime's process API, 100 in a row on one warm sandbox: report
     * only, under {@value #EXEC_SECTION}, and labelled, since the stand-in's {@code true} is a function of its page, not
     * StackBlitz's shell. What it shows is the driver's own path: the host to Chromium over the DevTools protocol and back.
     */
    @Test
    @Order(4)
    void execRoundTripThroughTheRuntimesProcessApi() {
        java.util.List<Double> samples = new java.util.ArrayList<>();
        try (Sandbox sandbox = warmProvider.start(SPEC)) {
            for (int i = 0; i < 10; i++) {
                sandbox.exec("true");
            }
            for (int i = 0; i < EXEC_ROUNDS; i++) {
                long t0 = System.nanoTime();
                assertThat(sandbox.exec("true").exitCode()).isZero();
                samples.add((System.nanoTime() - t0) / 1e6);
            }
        }
        double p50 = dev.devs.sandbox.metrics.Percentiles.of(samples, 50).orElseThrow();
        double p95 = dev.devs.sandbox.metrics.Percentiles.of(samples, 95).orElseThrow();
        java.util.Map<String, Object> section = new java.util.LinkedHashMap<>();
        section.put("runtime", StandInRuntime.RUNTIME);
        section.put("note", STAND_IN_NOTE);
        section.put("true", java.util.Map.of("samples", samples, "p50", p50, "p95", p95));
        run.putSection(EXEC_SECTION, section);
        run.summary(String.format(java.util.Locale.ROOT, "webcontainer exec true (%s), %d in a row on one sandbox: P50 %s P95 %s (report only)",
                STAND_IN_NOTE, EXEC_ROUNDS, fmt(p50), fmt(p95)));
    }

    static final String EXEC_SECTION = "webcontainerExec";
    private static final int EXEC_ROUNDS = 100;
}
