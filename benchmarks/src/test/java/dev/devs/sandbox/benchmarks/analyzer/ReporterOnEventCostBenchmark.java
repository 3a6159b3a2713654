package dev.devs.sandbox.benchmarks.analyzer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.devs.sandbox.SandboxLifecycleEvent;
import dev.devs.sandbox.StartType;
import dev.devs.sandbox.metrics.SandboxLatencyReporter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What one {@link SandboxLatencyReporter#onEvent} costs the provider's thread: a timed loop over READY events
 * of four series (the common case) with the writer thread live, writing real report files as it coalesces.
 * Measures and prints; asserts only that nothing was lost (no target is set for this figure).
 */
@Tag("benchmark")
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ReporterOnEventCostBenchmark {

    private static final int POOL = 4_096;
    private static final int WARMUP_CALLS = 500_000;
    private static final int ROUND_CALLS = 1_000_000;
    private static final int ROUNDS = 5;
    private static final int TIMED_CALLS = 100_000;

    @TempDir
    Path dir;

    @Test
    void costOfOneOnEventCall() {
        SandboxLifecycleEvent[] events = events();
        long calls = 0;
        double[] nsPerOp = new double[ROUNDS];
        long[] single = new long[TIMED_CALLS];
        try (SandboxLatencyReporter reporter = SandboxLatencyReporter.builder()
                .reportPath(dir.resolve("sandbox_latency_benchmark.json")).build()) {
            for (int i = 0; i < WARMUP_CALLS; i++) {
                reporter.onEvent(events[i & (POOL - 1)]);
            }
            calls += WARMUP_CALLS;
            for (int r = 0; r < ROUNDS; r++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < ROUND_CALLS; i++) {
                    reporter.onEvent(events[i & (POOL - 1)]);
                }
                nsPerOp[r] = (System.nanoTime() - t0) / (double) ROUND_CALLS;
                calls += ROUND_CALLS;
            }
            // One call at a time, to see the spread (each figure includes ~20-40 ns of System.nanoTime itself).
            for (int i = 0; i < TIMED_CALLS; i++) {
                SandboxLifecycleEvent e = events[i & (POOL - 1)];
                long t0 = System.nanoTime();
                reporter.onEvent(e);
                single[i] = System.nanoTime() - t0;
            }
            calls += TIMED_CALLS;
            reporter.flush();
            long counted = reporter.stats().series().stream().mapToLong(s -> s.count()).sum();
            assertThat(counted).as("every READY counted").isEqualTo(calls);
        }
        Arrays.sort(nsPerOp);
        Arrays.sort(single);
        System.out.printf(Locale.ROOT, "[benchmark] SandboxLatencyReporter.onEvent (READY, 4 series, window 100, writer live): "
                        + "%.0f ns/op (median of %d rounds of %,d calls; rounds %.0f..%.0f ns/op); single calls p50 %d ns, "
                        + "p99 %d ns, p99.9 %d ns, max %d ns over %,d calls%n",
                nsPerOp[ROUNDS / 2], ROUNDS, ROUND_CALLS, nsPerOp[0], nsPerOp[ROUNDS - 1],
                single[TIMED_CALLS / 2], single[(int) Math.ceil(TIMED_CALLS * 0.99) - 1],
                single[(int) Math.ceil(TIMED_CALLS * 0.999) - 1], single[TIMED_CALLS - 1], TIMED_CALLS);
    }

    /** Realistic events: four series, phases and attributes as the drivers set them, durations spread out. */
    private static SandboxLifecycleEvent[] events() {
        Instant t0 = Instant.parse("2026-11-26T17:45:51.123Z");
        String[] drivers = {"docker", "docker", "webcontainer", "webcontainer"};
        StartType[] types = {StartType.COLD, StartType.WARM, StartType.COLD, StartType.WARM};
        SandboxLifecycleEvent[] events = new SandboxLifecycleEvent[POOL];
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int i = 0; i < POOL; i++) {
            int s = i % 4;
            Duration d = Duration.ofNanos(random.nextLong(150_000_000L, 5_000_000_000L));
            Map<String, String> attributes = drivers[s].equals("docker")
                    ? Map.of("image", "devs-sandbox-python:bookworm", "containerId", Long.toHexString(random.nextLong()))
                    : Map.of("endpoint", "http://127.0.0.1:41234", "runtime", "test-stand-in");
            events[i] = new SandboxLifecycleEvent.Ready(String.format("sbx-%012x", i), drivers[s], types[s],
                    t0, t0.plus(d), d, Map.of("create", d.dividedBy(10), "start", d.dividedBy(2)), attributes);
        }
        return events;
    }
}
