package dev.devs.sandbox.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.devs.sandbox.SandboxLifecycleEvent;
import dev.devs.sandbox.StartType;
import dev.devs.sandbox.tck.Patience;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The provider's thread must never wait for the file system. The file writer here blocks outright until
 * released, then takes 20 ms per write: if onEvent waited for a write even once, the calls would hang (and
 * the test time out) instead of all returning while the writer is still stuck. What a call costs is printed
 * as a measurement, not asserted: on a loaded machine any bound would flake (ReporterOnEventCostBenchmark
 * measures it properly).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReporterNonBlockingTest {

    private static final int EVENTS = 10_000;

    @TempDir
    Path dir;

    @Test
    void tenThousandEventsAreAcceptedWhileTheWriterIsStuckAndTheFileEndsWithTheLastState() throws Exception {
        Path report = dir.resolve("r.json");
        CountDownLatch writerStuck = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger writes = new AtomicInteger();
        AtomicFiles.Writer slow = (path, bytes) -> {
            writerStuck.countDown();
            try {
                if (!release.await(Patience.seconds(50).toMillis(), TimeUnit.MILLISECONDS)) {
                    throw new IllegalStateException("never released");
                }
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            writes.incrementAndGet();
            AtomicFiles.write(path, bytes);
        };

        // Built before the clock starts: the events are the input, not what is measured.
        List<SandboxLifecycleEvent> events = new ArrayList<>(EVENTS);
        for (int i = 0; i < EVENTS; i++) {
            events.add(Events.ready(i % 2 == 0 ? "docker" : "webcontainer", StartType.WARM, 100 + (i % 997)));
        }
        long[] callNanos = new long[EVENTS];
        try (SandboxLatencyReporter reporter = SandboxLatencyReporter.builder().reportPath(report).fileWriter(slow).build()) {
            reporter.onEvent(events.get(0));
            callNanos[0] = 0;
            assertThat(writerStuck.await(Patience.seconds(10).toMillis(), TimeUnit.MILLISECONDS)).as("writer started its first write").isTrue();
            // The other calls run on a thread of their own while the writer stays held: had any of them waited for a
            // write, they could not all return before the release, which comes only after this check.
            CompletableFuture<Void> calls = CompletableFuture.runAsync(() -> {
                for (int i = 1; i < EVENTS; i++) {
                    long t0 = System.nanoTime();
                    reporter.onEvent(events.get(i));
                    callNanos[i] = System.nanoTime() - t0;
                }
            });
            assertThat(calls).as("the calls, with the writer held").succeedsWithin(Patience.seconds(30));
            assertThat(writes.get()).as("writes finished before the release").isZero();
            release.countDown();
        } // close() waits for the last state

        long[] sorted = Arrays.copyOfRange(callNanos, 1, EVENTS);
        Arrays.sort(sorted);
        long p50 = sorted[sorted.length / 2];
        long p99 = sorted[(int) Math.ceil(sorted.length * 0.99) - 1];
        long max = sorted[sorted.length - 1];
        System.out.printf("onEvent while the writer is stuck: p50 %d ns, p99 %d ns, max %d ns over %d calls; %d file writes%n",
                p50, p99, max, sorted.length, writes.get());
        // The stuck write, at most one queued behind it (carrying the latest state), and close()'s, which finds
        // nothing new. One write per event would be 10 000.
        assertThat(writes.get()).as("bursts coalesce: the stuck write plus at most two").isBetween(1, 3);

        JsonNode json = new ObjectMapper().readTree(report.toFile());
        assertThat(json.get("series")).hasSize(2);
        long total = 0;
        for (JsonNode s : json.get("series")) {
            total += s.get("count").asLong();
            assertThat(s.get("samples")).hasSize(100);
        }
        assertThat(total).as("final file holds the last state").isEqualTo(EVENTS);
        JsonNode lastSample = json.get("series").get(1).get("samples").get(99);
        assertThat(lastSample.get("sandboxId").asText()).isEqualTo(events.get(EVENTS - 1).sandboxId());
    }
}
