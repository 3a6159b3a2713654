package dev.devs.sandbox.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.devs.sandbox.SandboxLifecycleEvent.Type;
import dev.devs.sandbox.StartType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SandboxLatencyReporterTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-26T18:00:00.5Z"), ZoneOffset.UTC);

    @TempDir
    Path dir;

    private SandboxLatencyReporter reporter(Path report) {
        return SandboxLatencyReporter.builder().reportPath(report).clock(CLOCK).build();
    }

    @Test
    void after150EventsOnlyTheLast100Count() {
        try (SandboxLatencyReporter r = reporter(dir.resolve("r.json"))) {
            for (int i = 1; i <= 150; i++) {
                r.onEvent(Events.ready("docker", StartType.WARM, i));
            }
            LatencyStats.Series s = r.stats().series("docker", StartType.WARM).orElseThrow();
            assertThat(s.count()).isEqualTo(150);
            assertThat(s.samples()).hasSize(100);
            assertThat(s.samples().get(0).durationMs()).isEqualTo(51);
            assertThat(s.samples().get(99).durationMs()).isEqualTo(150);
            // Nearest rank over 51..150: P50 is the 50th value, P95 the 95th, P99 the 99th.
            assertThat(s.p50Ms()).hasValue(100);
            assertThat(s.p95Ms()).hasValue(145);
            assertThat(s.p99Ms()).hasValue(149);
        }
    }

    @Test
    void evictingTheOldestKeepsDuplicatesRight() {
        try (SandboxLatencyReporter r = SandboxLatencyReporter.builder().reportPath(dir.resolve("r.json")).windowSize(3).build()) {
            for (double v : new double[] {5, 5, 1, 5, 9}) {
                r.onEvent(Events.ready("docker", StartType.WARM, v));
            }
            LatencyStats.Series s = r.stats().series("docker", StartType.WARM).orElseThrow();
            assertThat(s.samples()).extracting(LatencyStats.Sample::durationMs).containsExactly(1.0, 5.0, 9.0);
            assertThat(s.p50Ms()).hasValue(5);
            assertThat(s.p99Ms()).hasValue(9);
        }
    }

    @Test
    void keepsOneSeriesPerDriverAndStartTypeWithFailuresAndStops() throws IOException {
        Path report = dir.resolve("r.json");
        try (SandboxLatencyReporter r = reporter(report)) {
            r.onEvent(Events.starting("docker"));
            r.onEvent(Events.ready("docker", StartType.COLD, 4312.5, Map.of("image", "localhost:5000/py:1", "containerId", "abc123")));
            r.onEvent(Events.ready("docker", StartType.WARM, 212.345, Map.of("image", "busybox:1")));
            r.onEvent(Events.ready("docker", StartType.WARM, 230, Map.of("image", "python:3")));
            r.onEvent(Events.ready("webcontainer", StartType.WARM, 480,
                    Map.of("endpoint", "http://127.0.0.1:41234", "runtime", "test-stand-in")));
            r.onEvent(Events.failed("docker", StartType.COLD, "pull failed"));
            r.onEvent(Events.failed("docker", null, "no engine"));
            r.onEvent(Events.failed("webcontainer", StartType.COLD, "boot timed out"));
            r.onEvent(Events.stopped("docker", Type.STOPPED, 60));
            r.onEvent(Events.stopped("docker", Type.KILLED, 10_060));
            r.onEvent(Events.stopped("webcontainer", Type.STOPPED, 22,
                    Map.of("endpoint", "http://127.0.0.1:41234", "runtime", "test-stand-in")));
            r.flush();

            LatencyStats stats = r.stats();
            assertThat(stats.generatedAt()).isEqualTo(CLOCK.instant());
            assertThat(stats.series()).extracting(s -> s.driver() + "/" + s.startType().wireName())
                    .containsExactly("docker/cold", "docker/warm", "webcontainer/cold", "webcontainer/warm");
            LatencyStats.Series cold = stats.series("docker", StartType.COLD).orElseThrow();
            assertThat(cold.count()).isEqualTo(1);
            assertThat(cold.failures()).isEqualTo(1);
            assertThat(cold.attributes()).containsOnly(Map.entry("image", "localhost:5000/py:1"));
            assertThat(stats.series("docker", StartType.WARM).orElseThrow().attribute("image")).hasValue("busybox:1, python:3");
            LatencyStats.Series wcCold = stats.series("webcontainer", StartType.COLD).orElseThrow();
            assertThat(wcCold.samples()).isEmpty();
            assertThat(wcCold.p95Ms()).isEmpty();
            assertThat(wcCold.failures()).isEqualTo(1);
            LatencyStats.Stops stops = stats.stops("docker").orElseThrow();
            assertThat(stops.count()).isEqualTo(2);
            assertThat(stops.stopped()).isEqualTo(1);
            assertThat(stops.killed()).isEqualTo(1);
            assertThat(stops.p95Ms()).hasValue(10_060);
            assertThat(stats.failures()).extracting(f -> f.driver() + "/" + f.startType() + "=" + f.count())
                    .containsExactly("docker/null=1", "docker/COLD=1", "webcontainer/COLD=1");
            assertThat(stats.failures().get(0).lastError()).contains("no engine");
            assertThat(stats.headline().orElseThrow().startType()).isEqualTo(StartType.COLD);
        }

        JsonNode json = JSON.readTree(report.toFile());
        assertThat(json.get("driver").asText()).isEqualTo("docker");
        assertThat(json.get("startType").asText()).isEqualTo("cold");
        assertThat(json.get("p95Ms").asDouble()).isEqualTo(4312.5);
        assertThat(json.get("generatedAt").asText()).isEqualTo("2026-11-26T18:00:00.500Z");
        assertThat(json.get("windowSize").asInt()).isEqualTo(100);
        JsonNode warm = json.get("series").get(1);
        assertThat(warm.get("samples").get(0).get("durationMs").asDouble()).isEqualTo(212.345);
        assertThat(warm.get("samples").get(0).get("timestamp").asText()).isEqualTo("2026-11-26T17:45:51.335Z");
        assertThat(warm.get("samples").get(0).get("sandboxId").asText()).startsWith("sbx-");
        assertThat(warm.get("samples").get(0).get("phasesMs").get("create").asDouble()).isEqualTo(21.235);
        assertThat(warm.get("count").asLong()).isEqualTo(2);
        JsonNode wc = json.get("series").get(3);
        assertThat(wc.get("endpoint").asText()).isEqualTo("http://127.0.0.1:41234");
        assertThat(wc.get("runtime").asText()).isEqualTo("test-stand-in");
        assertThat(json.get("series").get(2).has("p50Ms")).as("empty window: no percentile key").isFalse();
        assertThat(json.toString()).as("container ids are never reported").doesNotContain("abc123");
        JsonNode stop = json.get("stops").get(0);
        assertThat(stop.get("driver").asText()).isEqualTo("docker");
        assertThat(stop.get("stopped").asInt()).isEqualTo(1);
        assertThat(stop.get("killed").asInt()).isEqualTo(1);
        assertThat(stop.get("samples")).hasSize(2);
        assertThat(stop.has("runtime")).isFalse();
        assertThat(json.get("stops").get(1).get("runtime").asText()).as("stand-in stops say so").isEqualTo("test-stand-in");
        assertThat(json.get("failures")).hasSize(3);
    }

    /** Starts on runc and on runsc are two series, each with its runtime key, whatever attributes are copied. */
    @Test
    void eachRuntimeIsItsOwnSeries() throws IOException {
        for (List<String> attributes : List.of(SandboxLatencyReporter.DEFAULT_SERIES_ATTRIBUTES, List.of("image"))) {
            Path report = dir.resolve("runtimes-" + attributes.size() + ".json");
            try (SandboxLatencyReporter r = SandboxLatencyReporter.builder().reportPath(report).clock(CLOCK)
                    .seriesAttributes(attributes).build()) {
                for (int i = 1; i <= 4; i++) {
                    r.onEvent(Events.ready("docker", StartType.WARM, 200 + i, Map.of("runtime", "runsc", "image", "busybox:1")));
                    r.onEvent(Events.ready("docker", StartType.WARM, 100 + i, Map.of("runtime", "runc", "image", "busybox:1")));
                }
                r.onEvent(Events.ready("docker", StartType.WARM, 50));
                r.flush();
                LatencyStats stats = r.stats();
                assertThat(stats.series()).extracting(s -> s.driver() + "/" + s.startType().wireName() + "/" + s.runtime())
                        .as("ordered by driver, start type, runtime").containsExactly("docker/warm/", "docker/warm/runc", "docker/warm/runsc");
                assertThat(stats.series("docker", StartType.WARM, "runc").orElseThrow().p95Ms()).hasValue(104);
                assertThat(stats.series("docker", StartType.WARM, "runsc").orElseThrow().p50Ms()).hasValue(202);
                assertThat(r.percentileMs("docker", StartType.WARM, "runsc", 100)).hasValue(204);
                assertThat(r.percentileMs("docker", StartType.WARM, "", 100)).hasValue(50);
                assertThat(r.percentileMs("docker", StartType.WARM, "crun", 100)).isEmpty();
            }
            JsonNode series = JSON.readTree(report.toFile()).get("series");
            assertThat(series).hasSize(3);
            assertThat(series.get(0).has("runtime")).as("no runtime reported, no key").isFalse();
            assertThat(series.get(1).get("runtime").asText()).isEqualTo("runc");
            assertThat(series.get(1).get("samples")).hasSize(4);
            assertThat(series.get(2).get("runtime").asText()).isEqualTo("runsc");
            assertThat(series.get(2).get("p95Ms").asDouble()).isEqualTo(204);
        }
    }

    /** docs/design.md "Report contract": the report parses, has the headline keys, and they show the worst series. */
    @Test
    void writtenReportHasTheHeadlineKeysOfTheWorstSeries() throws IOException {
        Path report = dir.resolve("nested/reports/sandbox_latency_benchmark.json");
        try (SandboxLatencyReporter r = reporter(report)) {
            IntStream.rangeClosed(1, 20).forEach(i -> r.onEvent(Events.ready("docker", StartType.WARM, 200 + i)));
            IntStream.rangeClosed(1, 5).forEach(i -> r.onEvent(Events.ready("docker", StartType.COLD, 4000 + i)));
        }
        assertThat(report).as("directory created, file written on close").exists();
        JsonNode json = JSON.readTree(report.toFile());
        List<String> missing = new ArrayList<>();
        for (String key : List.of("driver", "startType", "samples", "p50Ms", "p95Ms", "p99Ms")) {
            if (!json.has(key)) {
                missing.add(key);
            }
        }
        assertThat(missing).as("missing keys").isEmpty();
        assertThat(json.get("p95Ms").asDouble()).isLessThanOrEqualTo(30_000).isEqualTo(4005);
        assertThat(json.get("startType").asText()).isEqualTo("cold");
        try (var files = Files.list(report.getParent())) {
            assertThat(files.map(p -> p.getFileName().toString())).as("no temp file left").containsExactly("sandbox_latency_benchmark.json");
        }
    }

    @Test
    void sectionsAreWrittenAndContractKeysAreRefused() throws IOException {
        Path report = dir.resolve("r.json");
        record Peer(String name, List<Double> samples) {
        }
        try (SandboxLatencyReporter r = reporter(report)) {
            r.putSection("peers", List.of(new Peer("docker-cli", List.of(1.5, 2.5))));
            r.putSection("memory", Map.of("growthMb", 3.25, "at", Instant.parse("2026-11-26T18:00:00Z")));
            r.putSection("memory", Map.of("growthMb", 4.0));
            r.putSection("temporary", "x");
            r.putSection("temporary", null);
            for (String key : List.of("driver", "startType", "samples", "p50Ms", "p95Ms", "p99Ms", "generatedAt", "windowSize",
                    "series", "stops", "failures")) {
                assertThatThrownBy(() -> r.putSection(key, 1)).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("'" + key + "'").hasMessageContaining("reserved");
            }
            assertThatThrownBy(() -> r.putSection(" ", 1)).isInstanceOf(IllegalArgumentException.class);
            r.flush();
            JsonNode json = JSON.readTree(report.toFile());
            assertThat(json.get("peers").get(0).get("name").asText()).isEqualTo("docker-cli");
            assertThat(json.get("memory").get("growthMb").asDouble()).isEqualTo(4.0);
            assertThat(json.has("temporary")).isFalse();
            assertThat(json.get("samples")).isEmpty();
            assertThat(json.has("driver")).as("no series yet: no headline").isFalse();
        }
    }

    @Test
    void nothingIsWrittenBeforeTheFirstEvent() {
        Path report = dir.resolve("r.json");
        SandboxLatencyReporter r = reporter(report);
        r.onEvent(Events.starting("docker"));
        r.flush();
        r.close();
        r.close(); // idempotent
        assertThat(report).doesNotExist();
    }

    @Test
    void aFailedWriteIsReportedByFlushAndRetriedOnTheNextEvent() throws IOException {
        Path report = dir.resolve("r.json");
        AtomicBoolean diskFull = new AtomicBoolean(true);
        AtomicInteger attempts = new AtomicInteger();
        AtomicFiles.Writer flaky = (path, bytes) -> {
            attempts.incrementAndGet();
            if (diskFull.get()) {
                throw new IOException("disk full (simulated)");
            }
            AtomicFiles.write(path, bytes);
        };
        try (SandboxLatencyReporter r = SandboxLatencyReporter.builder().reportPath(report).fileWriter(flaky).build()) {
            r.onEvent(Events.ready("docker", StartType.WARM, 100));
            assertThatThrownBy(r::flush).isInstanceOf(UncheckedIOException.class).hasMessageContaining("disk full");
            int before = attempts.get();
            assertThatThrownBy(r::flush).as("flush retries").isInstanceOf(UncheckedIOException.class).hasMessageContaining("disk full");
            assertThat(attempts.get()).isGreaterThan(before);
            assertThat(r.stats().series("docker", StartType.WARM).orElseThrow().count()).as("still serving").isEqualTo(1);
            diskFull.set(false);
            r.onEvent(Events.ready("docker", StartType.WARM, 300));
            r.flush();
            assertThat(JSON.readTree(report.toFile()).get("series").get(0).get("count").asInt()).isEqualTo(2);
        }
    }

    @Test
    void aReportPathThatIsADirectoryFailsTheWriteNotTheProvider() throws IOException {
        Path report = Files.createDirectories(dir.resolve("occupied"));
        Files.writeString(report.resolve("keep"), "x"); // a non-empty directory cannot be replaced by a rename
        SandboxLatencyReporter r = reporter(report);
        try {
            // The provider's side: recording never touches the file system, so it cannot see the failure.
            assertThatCode(() -> r.onEvent(Events.ready("docker", StartType.WARM, 100))).doesNotThrowAnyException();
            assertThat(r.stats().series()).hasSize(1);
            // The caller who asked for the file: flush() and close() say why it is not there.
            assertThatThrownBy(r::flush).isInstanceOf(UncheckedIOException.class).hasMessageContaining(report.toString());
            assertThatCode(() -> r.onEvent(Events.ready("docker", StartType.WARM, 200))).doesNotThrowAnyException();
        } finally {
            assertThatThrownBy(r::close).as("close() writes the last state, and the path is still a directory")
                    .isInstanceOf(UncheckedIOException.class).hasMessageContaining(report.toString());
        }
        assertThat(r.stats().series("docker", StartType.WARM).orElseThrow().count()).isEqualTo(2);
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).as("temp file removed").containsExactly("occupied");
        }
    }

    /** The 101st sample evicts exactly the 1st: samples 2..101 remain, and the percentiles are theirs. */
    @Test
    void theHundredAndFirstSampleEvictsExactlyTheFirst() {
        try (SandboxLatencyReporter r = reporter(dir.resolve("r.json"))) {
            // The first sample is the largest, so that keeping it by mistake would move P95 and P99.
            r.onEvent(Events.ready("docker", StartType.WARM, 10_000));
            for (int i = 2; i <= 100; i++) {
                r.onEvent(Events.ready("docker", StartType.WARM, i));
            }
            LatencyStats.Series full = r.stats().series("docker", StartType.WARM).orElseThrow();
            assertThat(full.samples()).hasSize(100);
            assertThat(full.samples().get(0).durationMs()).isEqualTo(10_000);
            assertThat(full.p99Ms()).as("P99 of 2..100 and 10000: the 99th of 100").hasValue(100);
            assertThat(r.percentileMs("docker", StartType.WARM, "", 100)).hasValue(10_000);

            r.onEvent(Events.ready("docker", StartType.WARM, 101));

            LatencyStats.Series s = r.stats().series("docker", StartType.WARM).orElseThrow();
            assertThat(s.count()).isEqualTo(101);
            assertThat(s.samples()).extracting(LatencyStats.Sample::durationMs)
                    .containsExactlyElementsOf(IntStream.rangeClosed(2, 101).mapToObj(i -> (double) i).toList());
            // Nearest rank over 2..101: P50 is the 50th value (51), P95 the 95th (96), P99 the 99th (100).
            assertThat(s.p50Ms()).hasValue(51);
            assertThat(s.p95Ms()).hasValue(96);
            assertThat(s.p99Ms()).hasValue(100);
            assertThat(r.percentileMs("docker", StartType.WARM, "", 100)).as("the evicted maximum is gone").hasValue(101);
        }
    }

    @Test
    void eventsAfterCloseAreIgnoredWithoutAnExceptionAndNothingIsWritten() throws IOException {
        Path report = dir.resolve("r.json");
        SandboxLatencyReporter r = reporter(report);
        r.onEvent(Events.ready("docker", StartType.WARM, 100));
        r.close();
        byte[] atClose = Files.readAllBytes(report);
        Files.delete(report);

        assertThatCode(() -> {
            r.onEvent(Events.ready("docker", StartType.WARM, 200));
            r.onEvent(Events.failed("docker", StartType.WARM, "late"));
            r.onEvent(Events.stopped("docker", Type.STOPPED, 60));
            r.putSection("late", 1);
            r.flush();
            r.close();
        }).doesNotThrowAnyException();

        assertThat(report).as("nothing written after close()").doesNotExist();
        LatencyStats.Series s = r.stats().series("docker", StartType.WARM).orElseThrow();
        assertThat(s.count()).as("late READY not recorded").isEqualTo(1);
        assertThat(s.failures()).as("late FAILED not recorded").isZero();
        assertThat(r.stats().stops()).as("late STOPPED not recorded").isEmpty();
        assertThat(JSON.readTree(atClose).get("series").get(0).get("count").asInt()).isEqualTo(1);
    }

    /**
     * flush() and close() at once while every write fails: neither hangs, flush() reports the write's error
     * (its own write's or the closing one's), close() completes (reporting it too) and stops the writer thread.
     */
    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void concurrentFlushAndCloseWithAFailingWriterReportTheErrorAndFinish() throws Exception {
        for (int round = 0; round < 20; round++) {
            AtomicInteger attempts = new AtomicInteger();
            AtomicReference<Thread> writer = new AtomicReference<>();
            AtomicFiles.Writer failing = (path, bytes) -> {
                writer.set(Thread.currentThread());
                attempts.incrementAndGet();
                throw new IOException("disk full (simulated)");
            };
            SandboxLatencyReporter r = SandboxLatencyReporter.builder().reportPath(dir.resolve("r.json"))
                    .fileWriter(failing).build();
            r.onEvent(Events.ready("docker", StartType.WARM, 100));
            CountDownLatch go = new CountDownLatch(1);
            ExecutorService callers = Executors.newFixedThreadPool(2);
            try {
                Future<Throwable> flush = callers.submit(() -> outcome(go, r::flush));
                Future<Throwable> close = callers.submit(() -> outcome(go, r::close));
                go.countDown();
                assertThat(flush.get()).as("flush() in round %d", round)
                        .isInstanceOf(UncheckedIOException.class).hasMessageContaining("disk full");
                assertThat(close.get()).as("close() in round %d", round)
                        .isInstanceOf(UncheckedIOException.class).hasMessageContaining("disk full");
            } finally {
                callers.shutdownNow();
            }
            assertThat(attempts.get()).as("writes attempted in round %d", round).isPositive();
            assertThat(ends(writer)).as("writer thread stopped in round %d", round).isTrue();
        }
    }

    private static Throwable outcome(CountDownLatch go, Runnable call) throws InterruptedException {
        go.await();
        try {
            call.run();
            return null;
        } catch (RuntimeException e) {
            return e;
        }
    }

    /** Whether the writer thread (seen from inside the file writer) ends, allowing it a moment to finish its last task. */
    private static boolean ends(AtomicReference<Thread> writer) throws InterruptedException {
        Thread t = writer.get();
        assertThat(t).as("the file writer ran").isNotNull();
        t.join(TimeUnit.SECONDS.toMillis(5));
        return !t.isAlive();
    }

    /** A write that never finishes costs close() its bound, not forever, and the writer thread is stopped. */
    @Test
    void closeGivesUpOnAStuckWriteAfterItsBound() throws Exception {
        CountDownLatch writing = new CountDownLatch(1);
        CountDownLatch never = new CountDownLatch(1);
        AtomicBoolean interrupted = new AtomicBoolean();
        AtomicReference<Thread> writer = new AtomicReference<>();
        AtomicFiles.Writer stuck = (path, bytes) -> {
            writer.set(Thread.currentThread());
            writing.countDown();
            try {
                never.await();
            } catch (InterruptedException e) {
                interrupted.set(true);
                throw new java.io.InterruptedIOException("interrupted while stuck");
            }
        };
        SandboxLatencyReporter r = SandboxLatencyReporter.builder().reportPath(dir.resolve("r.json")).fileWriter(stuck)
                .closeTimeout(java.time.Duration.ofMillis(200)).build();
        r.onEvent(Events.ready("docker", StartType.WARM, 100));
        assertThat(writing.await(10, TimeUnit.SECONDS)).as("the write started").isTrue();
        assertThatThrownBy(r::close).isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining("did not finish within").hasMessageContaining(dir.resolve("r.json").toString());
        assertThat(ends(writer)).as("writer thread stopped").isTrue();
        assertThat(interrupted).as("the stuck write was interrupted on the writer's own thread").isTrue();
    }

    @Test
    void seriesCarryTheConfiguredAttributesInTheirOrder() throws IOException {
        Path report = dir.resolve("r.json");
        try (SandboxLatencyReporter r = SandboxLatencyReporter.builder().reportPath(report)
                .seriesAttributes(List.of("pool", "image")).build()) {
            r.onEvent(Events.ready("firecracker", StartType.WARM, 120,
                    Map.of("image", "vm:1", "pool", "small", "endpoint", "not copied", "vmId", "per-sandbox")));
            r.flush();
            LatencyStats.Series s = r.stats().series("firecracker", StartType.WARM).orElseThrow();
            assertThat(s.attributes()).containsExactly(Map.entry("pool", "small"), Map.entry("image", "vm:1"));
            assertThat(s.attribute("endpoint")).isEmpty();
        }
        List<String> keys = new ArrayList<>();
        JSON.readTree(report.toFile()).get("series").get(0).fieldNames().forEachRemaining(keys::add);
        assertThat(keys).containsExactly("driver", "startType", "samples", "p50Ms", "p95Ms", "p99Ms", "count", "failures",
                "pool", "image");

        assertThatThrownBy(() -> SandboxLatencyReporter.builder().seriesAttributes(List.of("image", "count")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'count'").hasMessageContaining("reserved");
        assertThatThrownBy(() -> SandboxLatencyReporter.builder().seriesAttributes(List.of("image", "image")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'image' is named twice");
        assertThatThrownBy(() -> SandboxLatencyReporter.builder().seriesAttributes(List.of(" ")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("blank");
    }

    @Test
    void badBuilderValuesAreRejectedNamingTheValue() {
        assertThatThrownBy(() -> SandboxLatencyReporter.builder().windowSize(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("windowSize 0").hasMessageContaining("1 to 100000");
        assertThatThrownBy(() -> SandboxLatencyReporter.builder().reportPath(Path.of("/")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'/'");
        try (SandboxLatencyReporter r = SandboxLatencyReporter.builder().fileWriter((p, b) -> { }).build()) {
            assertThat(r.reportPath()).isEqualTo(Path.of(".devs/reports/sandbox_latency_benchmark.json"));
            assertThat(r.windowSize()).isEqualTo(100);
            assertThatThrownBy(() -> r.percentileMs("docker", StartType.WARM, "", 101))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("101");
        }
    }
}
