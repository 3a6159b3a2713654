package dev.devs.sandbox.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.devs.sandbox.SandboxLifecycleEvent.Type;
import dev.devs.sandbox.StartType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Many providers' threads at once: no event lost, every window consistent with its own samples. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReporterConcurrencyTest {

    @TempDir
    Path dir;

    @Test
    void manyThreadsLoseNothing() throws Exception {
        int threads = 8;
        int perThread = 2_000;
        CyclicBarrier barrier = new CyclicBarrier(threads);
        List<String> drivers = List.of("docker", "webcontainer");
        try (SandboxLatencyReporter reporter = SandboxLatencyReporter.builder().reportPath(dir.resolve("r.json")).build()) {
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int seed = t;
                Thread w = new Thread(() -> {
                    try {
                        barrier.await();
                    } catch (Exception e) {
                        return;
                    }
                    for (int i = 0; i < perThread; i++) {
                        String driver = drivers.get((seed + i) % 2);
                        StartType st = i % 3 == 0 ? StartType.COLD : StartType.WARM;
                        switch (i % 10) {
                            case 0 -> reporter.onEvent(Events.failed(driver, st, "boom " + i));
                            case 1 -> reporter.onEvent(Events.stopped(driver, i % 4 == 1 ? Type.KILLED : Type.STOPPED, 60 + i % 50));
                            case 2 -> reporter.onEvent(Events.starting(driver));
                            default -> reporter.onEvent(Events.ready(driver, st, 100 + (seed * 7919 + i) % 1000));
                        }
                        if (i % 500 == 0) {
                            reporter.stats(); // readers run concurrently with writers
                        }
                    }
                });
                workers.add(w);
                w.start();
            }
            for (Thread w : workers) {
                w.join();
            }
            reporter.flush();
            LatencyStats stats = reporter.stats();

            long ready = stats.series().stream().mapToLong(LatencyStats.Series::count).sum();
            long failures = stats.series().stream().mapToLong(LatencyStats.Series::failures).sum();
            long stops = stats.stops().stream().mapToLong(LatencyStats.Stops::count).sum();
            long perKind = (long) threads * perThread / 10;
            assertThat(failures).isEqualTo(perKind);
            assertThat(stats.failures().stream().mapToLong(LatencyStats.Failures::count).sum()).isEqualTo(perKind);
            assertThat(stops).isEqualTo(perKind);
            assertThat(ready).isEqualTo((long) threads * perThread - 3 * perKind);
            for (LatencyStats.Series s : stats.series()) {
                assertThat(s.samples()).hasSize(100);
                List<Double> window = s.samples().stream().map(LatencyStats.Sample::durationMs).collect(Collectors.toList());
                assertThat(s.p50Ms()).isEqualTo(PercentilesTest.oracle(window, 50));
                assertThat(s.p95Ms()).isEqualTo(PercentilesTest.oracle(window, 95));
                assertThat(s.p99Ms()).isEqualTo(PercentilesTest.oracle(window, 99));
            }
            for (LatencyStats.Stops s : stats.stops()) {
                assertThat(s.stopped() + s.killed()).isEqualTo(s.count());
            }
        }
    }
}
