package dev.devs.sandbox.benchmarks.analyzer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.devs.sandbox.SandboxLifecycleEvent;
import dev.devs.sandbox.SandboxLifecycleEvent.Type;
import dev.devs.sandbox.StartType;
import dev.devs.sandbox.metrics.SandboxLatencyReporter;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The analyzer on reports written by the real reporter (and a few written by hand to be broken). */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AnalyzeLatencyReportTest {

    private static final Instant T0 = Instant.parse("2026-11-26T17:45:51.123Z");
    private static int ids;

    @TempDir
    Path dir;

    @BeforeAll
    static void headless() {
        System.setProperty("java.awt.headless", "true");
    }

    record Result(int exit, String out, String err) {
    }

    private static Result analyze(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = AnalyzeLatencyReport.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static SandboxLifecycleEvent ready(String driver, StartType st, double ms, Map<String, String> attributes) {
        Duration d = Duration.ofNanos(Math.round(ms * 1_000_000));
        return new SandboxLifecycleEvent.Ready("sbx-" + (++ids), driver, st, T0, T0.plus(d), d,
                Map.of("create", d.dividedBy(10)), attributes);
    }

    private static SandboxLifecycleEvent stop(Type type, double ms) {
        return stop("docker", type, ms);
    }

    private static SandboxLifecycleEvent stop(String driver, Type type, double ms) {
        Duration d = Duration.ofNanos(Math.round(ms * 1_000_000));
        String id = "sbx-" + (++ids);
        return type == Type.STOPPED
                ? new SandboxLifecycleEvent.Stopped(id, driver, StartType.WARM, T0.plusSeconds(9), T0, T0.plusSeconds(1), d,
                        Map.of(), Map.of())
                : new SandboxLifecycleEvent.Killed(id, driver, StartType.WARM, T0.plusSeconds(9), T0, T0.plusSeconds(1), d,
                        Map.of(), Map.of(), java.util.Optional.empty());
    }

    private static SandboxLifecycleEvent failed(String driver, StartType st) {
        String id = "sbx-" + (++ids);
        return new SandboxLifecycleEvent.Failed(id, driver, java.util.Optional.ofNullable(st), T0, T0, Duration.ofMillis(15_000),
                Map.of(), Map.of(), new dev.devs.sandbox.SandboxStartException(id, "boot timed out"));
    }

    private static List<Map<String, Object>> samples(int from, int to) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (int v = from; v <= to; v++) {
            out.add(Map.of("durationMs", (double) v, "timestamp", "2026-11-26T17:46:00.000Z"));
        }
        return out;
    }

    /** A full report: Docker cold and warm, a stand-in WebContainer series, stops and peers. */
    private Path report(Consumer<SandboxLatencyReporter> extra) {
        Path path = dir.resolve("reports/sandbox_latency_benchmark.json");
        try (SandboxLatencyReporter r = SandboxLatencyReporter.builder().reportPath(path).build()) {
            for (int v = 4000; v <= 4400; v += 100) {
                r.onEvent(ready("docker", StartType.COLD, v, Map.of("image", "localhost:5000/devs-sandbox-python-cold:bookworm")));
            }
            for (int v = 201; v <= 230; v++) {
                r.onEvent(ready("docker", StartType.WARM, v, Map.of("image", "devs-sandbox-python:bookworm")));
            }
            for (int v = 480; v < 500; v += 2) {
                r.onEvent(ready("webcontainer", StartType.WARM, v,
                        Map.of("endpoint", "http://127.0.0.1:41234", "runtime", "test-stand-in")));
            }
            for (int i = 0; i < 10; i++) {
                r.onEvent(stop(i == 9 ? Type.KILLED : Type.STOPPED, 60 + i));
            }
            SandboxLifecycleEvent wcReady = ready("webcontainer", StartType.WARM, 490,
                    Map.of("endpoint", "http://127.0.0.1:41234", "runtime", "test-stand-in"));
            r.onEvent(new SandboxLifecycleEvent.Stopped(wcReady.sandboxId(), "webcontainer", StartType.WARM,
                    T0.plusSeconds(9), T0, T0.plusSeconds(1), Duration.ofMillis(22), Map.of(), wcReady.attributes()));
            r.putSection("peers", List.of(
                    Map.of("name", "raw-engine-api", "description", "docker-java create + start + inspect",
                            "image", "devs-sandbox-python:bookworm", "samples", samples(101, 130), "count", 30),
                    Map.of("name", "docker-cli", "description", "docker run -d", "samples", samples(401, 430), "count", 30)));
            extra.accept(r);
        }
        return path;
    }

    private static String row(String out, String label) {
        return out.lines().filter(l -> l.startsWith(label + " ")).findFirst()
                .orElseThrow(() -> new AssertionError("no row '" + label + "' in:\n" + out));
    }

    /** A {@code burst} entry: {@code ready} driver starts of 1..ready ms and {@code failed} failures, a raw flood all ready. */
    private static Map<String, Object> burst(String engine, int size, int ready, int failed) {
        List<Double> ok = new ArrayList<>();
        for (int v = 1; v <= ready; v++) {
            ok.add((double) v);
        }
        List<Double> raw = new ArrayList<>();
        for (int v = 1; v <= size; v++) {
            raw.add(2.0 * v);
        }
        Map<String, Object> driver = new java.util.LinkedHashMap<>();
        driver.put("attempted", ready + failed);
        driver.put("failed", failed);
        driver.put("samplesMs", ok);
        driver.put("startsPerSecond", 20.0);
        driver.put("heapPeakMb", 12.0);
        driver.put("firstFailures", failed == 0 ? List.of() : List.of("sandbox sbx-1 did not become ready within startupTimeout PT3M"));
        return Map.of("engine", engine, "size", size, "driver", driver,
                "raw", Map.of("attempted", size, "failed", 0, "samplesMs", raw, "startsPerSecond", 20.0));
    }

    @Test
    void aBurstWithFailedStartsFailsTheVerdictSayingHowManyAndWhy() {
        Path chart = dir.resolve("burst.png");
        Result res = analyze(report(r -> r.putSection("burst", List.of(burst("docker", 300, 297, 3)))).toString(), "--chart", chart.toString());

        assertThat(res.exit()).isEqualTo(1);
        assertThat(res.out()).contains("docker burst of 300: 3 of 300 driver starts failed (first: sandbox sbx-1 did not become ready")
                // Over all 300 attempts, the three failures slowest: P95 is the 285th value, not the survivors' 282nd.
                .contains("driver 300 attempted, 297 ready, 3 failed, P50 150 ms P95 285 ms P99 297 ms");
        assertThat(chart).as("the chart, with the burst's panels").isNotEmptyFile();
    }

    @Test
    void aBurstWithMoreThanFivePercentFailedHasNoP95() {
        Result res = analyze(report(r -> r.putSection("burst", List.of(burst("podman", 100, 90, 10)))).toString(), "--no-chart");

        assertThat(res.exit()).isEqualTo(1);
        assertThat(res.out()).contains("P95 undefined because 10 of 100 (more than 5 %) failed")
                .contains("podman burst of 100: 10 of 100 driver starts failed");
    }

    @Test
    void theExecSectionGetsATableOfDriverAgainstEngineWithRatiosAndThePath() throws IOException {
        List<Double> driver = new java.util.ArrayList<>();
        List<Double> engine = new java.util.ArrayList<>();
        for (int i = 1; i <= 20; i++) {
            driver.add((double) i);
            engine.add(i * 10.0);
        }
        Map<String, Object> trueRow = Map.of("driver", Map.of("samples", driver), "engine", Map.of("samples", engine),
                "path", "channel");
        Path chart = dir.resolve("exec.png");
        Result res = analyze(report(r -> r.putSection("exec", Map.of("podman", Map.of("path", "channel", "pathReason", "open",
                "true", trueRow, "parallel", Map.of("commands", 100, "correct", 100))))).toString(), "--chart", chart.toString());

        assertThat(res.exit()).as("exec targets are report-only").isZero();
        Path without = dir.resolve("no-exec.png");
        analyze(report(r -> { }).toString(), "--chart", without.toString());
        // A panel is 230 pixels wide: the same report with the exec section has two more, raw engine exec and the driver's.
        assertThat(ImageIO.read(chart.toFile()).getWidth()).as("the chart, with the exec panels")
                .isEqualTo(ImageIO.read(without.toFile()).getWidth() + 2 * 230);
        // Nearest rank over 20: P50 the 10th, P95 the 19th.
        assertThat(res.out()).contains("Exec: Sandbox.exec against raw engine exec")
                .contains("podman   true   path channel n=20 driver P50 10.0 ms P95 19.0 ms; engine P50 100.0 ms P95 190.0 ms;"
                        + " ratio 0.100x / 0.100x");
    }

    @Test
    void aBurstWithoutFailuresPassesWithItsRatios() {
        Result res = analyze(report(r -> r.putSection("burst", List.of(burst("docker", 100, 100, 0)))).toString(), "--no-chart");

        assertThat(res.exit()).isZero();
        assertThat(res.out()).contains("docker burst of 100: driver 100 attempted, 100 ready, 0 failed, P50 50 ms P95 95 ms P99 99 ms")
                .contains("P95 driver/raw x0.50 (target <= 0.80: ok)");
    }

    @Test
    void everySeriesWithinTargetExitsZeroWithTheTableAndTheChart() throws IOException {
        Path report = report(r -> { });
        Result res = analyze(report.toString());
        System.out.println(res.out());

        assertThat(res.exit()).as(res.err()).isZero();
        assertThat(res.err()).isEmpty();
        // Nearest rank: 5 cold samples -> P50 the 3rd, P95 and P99 the 5th; 30 warm (201..230) -> 15th, 29th, 30th.
        assertThat(row(res.out(), "docker cold")).matches("docker cold\\s+5\\s+4200\\.0\\s+4400\\.0\\s+4400\\.0\\s+30 s\\s+OK\\s+image localhost:5000/.*");
        assertThat(row(res.out(), "docker warm")).matches("docker warm\\s+30\\s+215\\.0\\s+229\\.0\\s+230\\.0\\s+10 s\\s+OK.*");
        assertThat(row(res.out(), "webcontainer warm [test-stand-in]"))
                .matches("webcontainer warm \\[test-stand-in]\\s+10\\s+488\\.0\\s+498\\.0\\s+498\\.0\\s+10 s\\s+NOT JUDGED\\s+"
                        + "TEST STAND-IN for StackBlitz's runtime, not StackBlitz; endpoint http://127\\.0\\.0\\.1:41234");
        assertThat(row(res.out(), "docker stop")).matches("docker stop\\s+10\\s+64\\.0\\s+69\\.0\\s+69\\.0\\s+5 s\\s+OK\\s+stopped 9, killed 1");
        assertThat(row(res.out(), "webcontainer stop [test-stand-in]"))
                .matches("webcontainer stop \\[test-stand-in]\\s+1\\s+22\\.0\\s+22\\.0\\s+22\\.0\\s+5 s\\s+NOT JUDGED\\s+stopped 1, killed 0; TEST STAND-IN runtime, not StackBlitz");
        // Ratios: our warm P50 215 / 115 = 1.87, P95 229 / 129 = 1.78; against the CLI 215 / 415, 229 / 429.
        assertThat(row(res.out(), "raw-engine-api")).matches("raw-engine-api\\s+30\\s+115\\.0\\s+129\\.0\\s+130\\.0\\s+1\\.87x\\s+1\\.78x\\s+.*");
        assertThat(row(res.out(), "docker-cli")).matches("docker-cli\\s+30\\s+415\\.0\\s+429\\.0\\s+430\\.0\\s+0\\.52x\\s+0\\.53x.*");
        assertThat(res.out()).contains("verdict: every P95 is within its target");

        Path png = report.resolveSibling("sandbox_latency_benchmark.png");
        assertThat(res.out()).contains("chart: " + png);
        BufferedImage image = ImageIO.read(png.toFile());
        assertThat(image).as("a readable PNG").isNotNull();
        assertThat(image.getWidth()).isGreaterThanOrEqualTo(1200);
        assertThat(image.getHeight()).isEqualTo(720);
    }

    /** A Docker warm series per OCI runtime: one row each, the runsc row with its ratio to runc, in the table and the chart. */
    @Test
    void aSeriesPerRuntimeShowsItsRatioToRunc() throws IOException {
        Path path = dir.resolve("reports/runtimes.json");
        try (SandboxLatencyReporter r = SandboxLatencyReporter.builder().reportPath(path).build()) {
            for (int v = 1; v <= 20; v++) {
                r.onEvent(ready("docker", StartType.WARM, 200 + v, Map.of("runtime", "runc", "image", "devs-sandbox-python:bookworm")));
                r.onEvent(ready("docker", StartType.WARM, 300 + 2 * v, Map.of("runtime", "runsc", "image", "devs-sandbox-python:bookworm")));
            }
            r.putSection("peers", List.of(Map.of("name", "docker-cli", "samples", samples(401, 420), "count", 20)));
        }
        Result res = analyze(path.toString());
        System.out.println(res.out());
        assertThat(res.exit()).as(res.err()).isZero();
        // Nearest rank over 20: P50 the 10th, P95 the 19th. runc 210 / 219; runsc 320 / 338.
        assertThat(row(res.out(), "docker warm [runc]")).matches("docker warm \\[runc]\\s+20\\s+210\\.0\\s+219\\.0\\s+220\\.0\\s+10 s\\s+OK.*");
        assertThat(row(res.out(), "docker warm [runsc]")).matches("docker warm \\[runsc]\\s+20\\s+320\\.0\\s+338\\.0\\s+340\\.0\\s+10 s\\s+OK.*");
        String runtimes = res.out().substring(res.out().indexOf("Runtimes:"));
        // 320 / 210 = 1.52, 338 / 219 = 1.54.
        assertThat(row(runtimes, "docker warm [runsc]")).matches("docker warm \\[runsc]\\s+20\\s+320\\.0\\s+338\\.0\\s+340\\.0\\s+1\\.52x\\s+1\\.54x.*");
        assertThat(row(runtimes, "docker warm [runc]")).contains("1.00x");
        // Peers are compared with runc, the engine's default runtime they run on: 210 / 410 = 0.51.
        assertThat(row(res.out(), "docker-cli")).matches("docker-cli\\s+20\\s+410\\.0\\s+419\\.0\\s+420\\.0\\s+0\\.51x\\s+0\\.52x.*");
        assertThat(ImageIO.read(path.resolveSibling("runtimes.png").toFile())).isNotNull();

        // Without the runsc series (an engine without runsc) there is no runtime table and the verdict is the same.
        Path runcOnly = dir.resolve("reports/runc-only.json");
        try (SandboxLatencyReporter r = SandboxLatencyReporter.builder().reportPath(runcOnly).build()) {
            for (int v = 1; v <= 20; v++) {
                r.onEvent(ready("docker", StartType.WARM, 200 + v, Map.of("runtime", "runc")));
            }
            r.putSection("skippedRuntimes", Map.of("runsc", "the Docker engine at unix:///x has no runtime 'runsc'"));
        }
        Result only = analyze(runcOnly.toString(), "--no-chart");
        assertThat(only.exit()).isZero();
        assertThat(only.out()).doesNotContain("Runtimes:").contains("verdict: every P95 is within its target")
                .contains("runtime runsc not measured: the Docker engine at unix:///x has no runtime 'runsc'");
    }

    /**
     * Podman beside dockerd, as the warm benchmark writes them (the Docker driver named podman, an engines section):
     * its warm and stop series with their ratios to docker's, held to the Docker targets, and its raw engine API peer
     * compared with podman warm, not with docker warm.
     */
    @Test
    void podmanSeriesBesideDockerdShowTheirRatiosAndItsPeerIsComparedWithPodman() throws IOException {
        Path path = dir.resolve("reports/engines.json");
        try (SandboxLatencyReporter r = SandboxLatencyReporter.builder().reportPath(path).build()) {
            for (int v = 1; v <= 20; v++) {
                r.onEvent(ready("docker", StartType.WARM, 200 + v, Map.of("runtime", "runc")));
                r.onEvent(ready("podman", StartType.WARM, 100 + v, Map.of("runtime", "oci")));
                r.onEvent(stop("docker", Type.STOPPED, 50 + v));
                r.onEvent(stop("podman", Type.STOPPED, 120 + v));
            }
            r.putSection("engines", List.of(
                    Map.of("driver", "docker", "host", "unix:///var/run/docker.sock", "version", "20.10.24"),
                    Map.of("driver", "podman", "host", "unix:///x/podman.sock", "version", "4.3.1")));
            r.putSection("peers", List.of(
                    Map.of("name", "raw-engine-api", "engine", "docker", "samples", samples(181, 200), "count", 20),
                    Map.of("name", "raw-engine-api", "engine", "podman", "samples", samples(91, 110), "count", 20)));
        }
        Result res = analyze(path.toString());
        System.out.println(res.out());
        assertThat(res.exit()).as(res.err()).isZero();
        // Nearest rank over 20: P50 the 10th, P95 the 19th. Podman is held to the Docker warm and stop targets; it
        // names its default runtime "oci", and is compared with dockerd's default, runc.
        assertThat(row(res.out(), "podman warm [oci]")).matches("podman warm \\[oci]\\s+20\\s+110\\.0\\s+119\\.0\\s+120\\.0\\s+10 s\\s+OK.*");
        assertThat(row(res.out(), "podman stop")).matches("podman stop\\s+20\\s+130\\.0\\s+139\\.0\\s+140\\.0\\s+5 s\\s+OK.*");
        String engines = res.out().substring(res.out().indexOf("Engines:"), res.out().indexOf("Peers:"));
        assertThat(engines).contains("ratio = its P50 (P95) / docker's").contains("podman: version 4.3.1 at unix:///x/podman.sock");
        // 110 / 210 = 0.52, 119 / 219 = 0.54; stops 130 / 60 = 2.17, 139 / 69 = 2.01.
        assertThat(row(engines, "podman warm [oci]")).matches("podman warm \\[oci]\\s+20\\s+110\\.0\\s+119\\.0\\s+120\\.0\\s+0\\.52x\\s+0\\.54x.*");
        assertThat(row(engines, "docker warm [runc]")).contains("1.00x");
        assertThat(row(engines, "podman stop")).matches("podman stop\\s+20\\s+130\\.0\\s+139\\.0\\s+140\\.0\\s+2\\.17x\\s+2\\.01x.*");
        // Each raw peer beside our driver on its own engine: docker 210 / 190 = 1.11, 219 / 199 = 1.10;
        // podman 110 / 100 = 1.10, 119 / 109 = 1.09.
        String peers = res.out().substring(res.out().indexOf("Peers:"));
        assertThat(row(peers, "raw-engine-api")).matches("raw-engine-api\\s+20\\s+190\\.0\\s+199\\.0\\s+200\\.0\\s+1\\.11x\\s+1\\.10x.*");
        assertThat(row(peers, "raw-engine-api [podman]"))
                .matches("raw-engine-api \\[podman]\\s+20\\s+100\\.0\\s+109\\.0\\s+110\\.0\\s+1\\.10x\\s+1\\.09x.*");
        assertThat(ImageIO.read(path.resolveSibling("engines.png").toFile())).isNotNull();

        // A podman warm P95 over the Docker warm target fails the run like a docker one.
        Path slow = dir.resolve("reports/podman-slow.json");
        try (SandboxLatencyReporter r = SandboxLatencyReporter.builder().reportPath(slow).build()) {
            r.onEvent(ready("podman", StartType.WARM, 10_001, Map.of("runtime", "oci")));
        }
        Result over = analyze(slow.toString(), "--no-chart");
        assertThat(over.exit()).isEqualTo(1);
        assertThat(over.out()).contains("podman warm [oci]: P95 10001.0 ms is over its target of 10 s");

        // With the stops of the interleaved rounds in the engines section, those are the baseline, not the docker stop
        // series (which holds every docker stop of the run: here 20 of 1000 ms from other benchmark classes).
        Path interleaved = dir.resolve("reports/interleaved-stops.json");
        try (SandboxLatencyReporter r = SandboxLatencyReporter.builder().reportPath(interleaved).build()) {
            for (int v = 1; v <= 20; v++) {
                r.onEvent(stop("docker", Type.STOPPED, 1_000));
                r.onEvent(stop("podman", Type.STOPPED, 120 + v));
            }
            r.onEvent(ready("docker", StartType.WARM, 200, Map.of("runtime", "runc")));
            r.putSection("engines", List.of(
                    Map.of("driver", "docker", "interleavedStopsMs", samples(51, 70)),
                    Map.of("driver", "podman", "interleavedStopsMs", samples(121, 140))));
        }
        Result both = analyze(interleaved.toString(), "--no-chart");
        assertThat(both.exit()).as(both.err()).isZero();
        String table = both.out().substring(both.out().indexOf("Engines:"));
        // 130 / 60 = 2.17, 139 / 69 = 2.01, as with the rounds' stops alone above.
        assertThat(row(table, "docker stop [runc], interleaved rounds")).matches(".*\\s+20\\s+60\\.0\\s+69\\.0\\s+70\\.0\\s+1\\.00x.*");
        assertThat(row(table, "podman stop")).matches("podman stop\\s+20\\s+130\\.0\\s+139\\.0\\s+140\\.0\\s+2\\.17x\\s+2\\.01x.*");

        // Without Podman the report says why, and there is no engine table.
        Path dockerdOnly = dir.resolve("reports/dockerd-only.json");
        try (SandboxLatencyReporter r = SandboxLatencyReporter.builder().reportPath(dockerdOnly).build()) {
            r.onEvent(ready("docker", StartType.WARM, 200, Map.of("runtime", "runc")));
            r.putSection("engines", List.of(Map.of("driver", "docker")));
            r.putSection("skippedEngines", Map.of("podman", "no podman engine at unix:///x/podman.sock (the socket does not exist)"));
        }
        Result only = analyze(dockerdOnly.toString(), "--no-chart");
        assertThat(only.exit()).isZero();
        assertThat(only.out()).doesNotContain("Engines:")
                .contains("engine podman not measured: no podman engine at unix:///x/podman.sock (the socket does not exist)");
    }

    @Test
    void aColdP95OverThirtySecondsExitsOneNamingTheSeries() {
        Path report = report(r -> r.onEvent(ready("docker", StartType.COLD, 31_000, Map.of())));
        Result res = analyze(report.toString(), "--no-chart");
        assertThat(res.exit()).isEqualTo(1);
        assertThat(row(res.out(), "docker cold")).contains("31000.0").contains("OVER");
        assertThat(res.out()).contains("verdict: 1 series or burst misses its target")
                .contains("docker cold: P95 31000.0 ms is over its target of 30 s");
        assertThat(report.resolveSibling("sandbox_latency_benchmark.png")).doesNotExist();
    }

    @Test
    void aStandInSeriesOverItsTargetIsReportedButNotJudged() {
        // The same 31 s sample, once against the stand-in (reported, exit 0) and once against StackBlitz (judged).
        Map<String, String> standIn = Map.of("endpoint", "http://127.0.0.1:41234", "runtime", "test-stand-in");
        Result res = analyze(report(r -> r.onEvent(ready("webcontainer", StartType.COLD, 31_000, standIn))).toString(), "--no-chart");
        assertThat(res.exit()).as(res.out()).isZero();
        assertThat(row(res.out(), "webcontainer cold [test-stand-in]")).contains("31000.0").contains("NOT JUDGED")
                .contains("TEST STAND-IN");

        Result real = analyze(report(r -> r.onEvent(ready("webcontainer", StartType.COLD, 31_000,
                Map.of("endpoint", "https://stackblitz.com", "runtime", "stackblitz")))).toString(), "--no-chart");
        assertThat(real.exit()).isEqualTo(1);
        assertThat(row(real.out(), "webcontainer cold [stackblitz]")).contains("OVER");
    }

    @Test
    void aWarmP95JustOverTenSecondsExitsOneButExactlyTenPasses() throws IOException {
        Path exact = Files.writeString(dir.resolve("exact.json"),
                "{\"series\":[{\"driver\":\"docker\",\"startType\":\"warm\",\"samples\":[{\"durationMs\":10000}]}]}");
        assertThat(analyze(exact.toString(), "--no-chart").exit()).isZero();
        Path over = Files.writeString(dir.resolve("over.json"),
                "{\"series\":[{\"driver\":\"webcontainer\",\"startType\":\"cold\",\"samples\":[{\"durationMs\":10000.001}]}]}");
        Result res = analyze(over.toString(), "--no-chart");
        assertThat(res.exit()).isEqualTo(1);
        assertThat(res.out()).contains("webcontainer cold [runtime unknown]: P95 10000.0 ms is over its target of 10 s");
    }

    @Test
    void aSlowStopOrASeriesWhoseEveryStartFailedExitsOne() {
        Path slowStop = report(r -> {
            for (int i = 0; i < 10; i++) {
                r.onEvent(stop(Type.KILLED, 6_000));
            }
        });
        Result res = analyze(slowStop.toString(), "--no-chart");
        assertThat(res.exit()).isEqualTo(1);
        assertThat(res.out()).contains("docker stop: P95 6000.0 ms is over its target of 5 s");

        Path allFailed = report(r -> r.onEvent(failed("webcontainer", StartType.COLD)));
        res = analyze(allFailed.toString(), "--no-chart");
        assertThat(res.exit()).isEqualTo(1);
        assertThat(row(res.out(), "webcontainer cold [runtime unknown]")).contains("ALL FAILED").contains("1 failed start");
        assertThat(res.out()).contains("webcontainer cold [runtime unknown]: every start failed");
    }

    @Test
    void missingEmptyOrMalformedReportsExitTwoWithOneLineReason() throws IOException {
        record Case(String content, String reason) {
        }
        List<Case> cases = List.of(
                new Case(null, "is missing"),
                new Case("", "is empty"),
                new Case("  \n", "is empty"),
                new Case("{\"series\": [", "is not valid JSON"),
                new Case("[1, 2]", "is not a JSON object"),
                new Case("{}", "has neither 'series' nor top-level 'samples'"),
                new Case("{\"series\": []}", "holds no provisioning sample"),
                new Case("{\"series\": [{\"driver\":\"docker\",\"startType\":\"warm\",\"samples\":[]}]}", "holds no provisioning sample"),
                new Case("{\"series\": [{\"driver\":\"docker\",\"startType\":\"warm\",\"samples\":[{\"durationMs\":\"fast\"}]}]}",
                        "series[0].samples[0].durationMs is not a number: \"fast\""),
                new Case("{\"series\": [{\"driver\":\"docker\",\"startType\":\"warm\",\"samples\":[{\"durationMs\":-5}]}]}",
                        "series[0].samples[0].durationMs -5 is not a duration"),
                new Case("{\"series\": [{\"startType\":\"warm\",\"samples\":[{\"durationMs\":5}]}]}", "series[0] has no 'driver'"),
                new Case("{\"series\": {\"driver\":\"docker\"}}", "series is not an array"),
                new Case("{\"series\": [{\"driver\":\"docker\",\"startType\":\"warm\",\"samples\":[{\"durationMs\":5}]}],"
                        + " \"peers\": [{\"name\":\"docker-cli\",\"samples\":[{}]}]}", "peers[0].samples[0].durationMs is missing"));
        int i = 0;
        for (Case c : cases) {
            Path path = dir.resolve("bad-" + (i++) + ".json");
            if (c.content() != null) {
                Files.writeString(path, c.content());
            }
            Result res = analyze(path.toString());
            assertThat(res.exit()).as(c.reason()).isEqualTo(2);
            assertThat(res.err().lines().toList()).as("one line").hasSize(1);
            assertThat(res.err()).as(c.content()).startsWith("analyze_sandbox_latency: report " + path).contains(c.reason());
            assertThat(res.out()).isEmpty();
            assertThat(path.resolveSibling("bad-" + (i - 1) + ".png")).as("no chart for a bad report").doesNotExist();
        }
    }

    @Test
    void badArgumentsExitTwo() {
        Result res = analyze("--frobnicate");
        assertThat(res.exit()).isEqualTo(2);
        assertThat(res.err()).contains("unknown option '--frobnicate'").contains("usage:");
        assertThat(analyze("a.json", "b.json").err()).contains("more than one report");
        assertThat(analyze("--chart").exit()).isEqualTo(2);
        assertThat(analyze("--help").exit()).isZero();
    }

    @Test
    void aSingleSeriesReportWithOnlyTopLevelKeysIsReadToo() throws IOException {
        Path seed = Files.writeString(dir.resolve("seed.json"), """
                {"driver": "docker", "startType": "cold",
                 "samples": [{"durationMs": 12345, "timestamp": "2026-11-26T17:45:51.123Z"},
                             {"durationMs": 28000, "timestamp": "2026-11-26T17:46:51.123Z"}],
                 "p50Ms": 12000, "p95Ms": 28000, "p99Ms": 29500}
                """);
        Path chart = dir.resolve("charts/single-chart.png");
        Result res = analyze(seed.toString(), "--chart", chart.toString());
        assertThat(res.exit()).isZero();
        assertThat(row(res.out(), "docker cold")).matches("docker cold\\s+2\\s+12345\\.0\\s+28000\\.0\\s+28000\\.0\\s+30 s\\s+OK");
        assertThat(chart).exists();
    }

    @Test
    void percentilesAreRecomputedFromTheSamplesAndADisagreeingReportIsFlagged() throws IOException {
        Path report = Files.writeString(dir.resolve("r.json"), """
                {"series": [{"driver": "docker", "startType": "warm", "p95Ms": 1.0,
                             "samples": [{"durationMs": 300}, {"durationMs": 100}, {"durationMs": 200}]}]}
                """);
        Result res = analyze(report.toString(), "--no-chart");
        assertThat(res.exit()).isZero();
        assertThat(row(res.out(), "docker warm")).matches("docker warm\\s+3\\s+200\\.0\\s+300\\.0\\s+300\\.0\\s+10 s\\s+OK");
        assertThat(res.out()).contains("warning: docker warm: the report says p95Ms 1.0 but its samples give 300.0");
    }
}
