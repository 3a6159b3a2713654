package dev.devs.sandbox.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.devs.sandbox.StartType;
import dev.devs.sandbox.tck.Patience;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReporterAtomicityTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void aReaderPollingTheReportNeverSeesInvalidJson() throws Exception {
        Path report = dir.resolve("reports/sandbox_latency_benchmark.json");
        AtomicBoolean done = new AtomicBoolean();
        AtomicInteger reads = new AtomicInteger();
        ConcurrentLinkedQueue<String> bad = new ConcurrentLinkedQueue<>();
        Set<Long> countsSeen = new HashSet<>();
        Thread reader = new Thread(() -> {
            while (!done.get()) {
                byte[] bytes;
                try {
                    bytes = Files.readAllBytes(report);
                } catch (NoSuchFileException notYet) {
                    continue;
                } catch (Exception e) {
                    bad.add("read failed: " + e);
                    continue;
                }
                reads.incrementAndGet();
                try {
                    JsonNode json = JSON.readTree(bytes);
                    if (json == null || !json.isObject() || !json.has("series") || !json.has("stops")) {
                        bad.add("incomplete document of " + bytes.length + " bytes");
                    } else {
                        long count = 0;
                        for (JsonNode s : json.get("series")) {
                            count += s.get("count").asLong();
                        }
                        synchronized (countsSeen) {
                            countsSeen.add(count);
                        }
                    }
                } catch (Exception e) {
                    bad.add("invalid JSON (" + bytes.length + " bytes): " + e.getMessage());
                }
            }
        }, "report-reader");
        reader.start();

        CountDownLatch go = new CountDownLatch(1);
        try (SandboxLatencyReporter reporter = SandboxLatencyReporter.builder().reportPath(report).build()) {
            List<Thread> producers = new java.util.ArrayList<>();
            for (int t = 0; t < 4; t++) {
                String driver = t % 2 == 0 ? "docker" : "webcontainer";
                StartType st = t < 2 ? StartType.WARM : StartType.COLD;
                Thread p = new Thread(() -> {
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    for (int i = 0; i < 2_500; i++) {
                        reporter.onEvent(Events.ready(driver, st, 50 + i % 400));
                        if (i % 50 == 0) {
                            // Spread the events over some milliseconds so that many writes race the reader.
                            try {
                                Thread.sleep(1);
                            } catch (InterruptedException e) {
                                return;
                            }
                        }
                    }
                }, "producer-" + t);
                producers.add(p);
                p.start();
            }
            go.countDown();
            for (Thread p : producers) {
                p.join();
            }
        }
        // Let the reader see the final file a few more times before stopping it.
        int readsAtClose = reads.get();
        org.awaitility.Awaitility.await().atMost(Patience.seconds(5)).pollInterval(java.time.Duration.ofMillis(5))
                .until(() -> reads.get() >= readsAtClose + 3);
        done.set(true);
        reader.join();

        assertThat(bad).as("reads that saw a partial or invalid file").isEmpty();
        synchronized (countsSeen) {
            assertThat(countsSeen).as("the reader saw the report change while events arrived").hasSizeGreaterThan(1)
                    .contains(10_000L);
        }
        System.out.printf("reader parsed %d complete reports, %d distinct states%n", reads.get(), countsSeen.size());
    }
}
