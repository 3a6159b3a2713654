package dev.devs.sandbox.benchmarks.analyzer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The main command's exit codes 1, 2 and 3 (and 0), from scripts/lib/verdict.sh, which
 * scripts/run_sandbox_latency_benchmark.sh sources: driven here with prepared reports and scrape texts, a
 * missing report and a list of missing components, without running the benchmark itself.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class BenchmarkVerdictScriptTest {

    private static final Path VERDICT = Path.of("..", "scripts", "lib", "verdict.sh").toAbsolutePath().normalize();
    private static final String PROM = """
            # TYPE sandbox_provisioning_duration_p50_ms gauge
            sandbox_provisioning_duration_p50_ms{driver="docker",start_type="warm"} 212.0
            sandbox_provisioning_duration_p95_ms{driver="docker",start_type="warm"} 240.0
            sandbox_provisioning_duration_p99_ms{driver="docker",start_type="warm"} 250.5
            # TYPE sandbox_provisioning_phase_duration_seconds histogram
            sandbox_provisioning_phase_duration_seconds_bucket{driver="docker",phase="start",start_type="warm",le="+Inf"} 1
            """;

    @TempDir
    Path dir;

    record Run(int exit, String err) {
    }

    /** Sources verdict.sh in a fresh bash and calls {@code function} with {@code args}. */
    private Run call(String function, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("bash", "-c", ". \"$0\"; " + function + " \"$@\"", VERDICT.toString()));
        command.addAll(List.of(args));
        Path err = dir.resolve("err.txt");
        Process p = new ProcessBuilder(command).directory(dir.toFile())
                .redirectOutput(dir.resolve("out.txt").toFile()).redirectError(err.toFile()).start();
        try {
            if (!p.waitFor(150, TimeUnit.SECONDS)) {
                throw new AssertionError(function + " did not finish within 150 s");
            }
        } finally {
            p.destroyForcibly();
        }
        return new Run(p.exitValue(), Files.readString(err, StandardCharsets.UTF_8));
    }

    private Path report(String name, double durationMs) throws IOException {
        return Files.writeString(dir.resolve(name), "{\"series\":[{\"driver\":\"docker\",\"startType\":\"warm\","
                + "\"samples\":[{\"durationMs\":" + durationMs + "}]}]}");
    }

    private Path prom(String content) throws IOException {
        return Files.writeString(dir.resolve("metrics-" + content.length() + ".prom"), content);
    }

    @Test
    void aCompleteRunWithinTargetExitsZero() throws Exception {
        Run run = call("verdict_run", "0", report("ok.json", 240).toString(), prom(PROM).toString());
        assertThat(run.exit()).as(run.err()).isZero();
    }

    @Test
    void aFailedBenchmarkTestOrAP95OverTargetExitsOne() throws Exception {
        Path ok = report("ok.json", 240);
        Run testFailed = call("verdict_run", "1", ok.toString(), prom(PROM).toString(), "the-log.txt");
        assertThat(testFailed.exit()).as(testFailed.err()).isEqualTo(1);
        assertThat(testFailed.err()).contains("a benchmark test failed (see the-log.txt)");

        Run over = call("verdict_run", "0", report("over.json", 10_000.5).toString(), prom(PROM).toString());
        assertThat(over.exit()).as(over.err()).isEqualTo(1);
    }

    @Test
    void aMissingReportOrScrapeTextExitsTwo() throws Exception {
        Run noReport = call("verdict_run", "0", dir.resolve("absent.json").toString(), prom(PROM).toString());
        assertThat(noReport.exit()).as(noReport.err()).isEqualTo(2);
        assertThat(noReport.err()).contains("absent.json is missing");

        Path ok = report("ok.json", 240);
        Run noProm = call("verdict_run", "0", ok.toString(), dir.resolve("absent.prom").toString());
        assertThat(noProm.exit()).as(noProm.err()).isEqualTo(2);
        assertThat(noProm.err()).contains("did not write").contains("absent.prom");

        Path partial = prom(PROM.lines().filter(l -> !l.contains("p99")).reduce("", (a, b) -> a + b + "\n"));
        Run lacksGauge = call("verdict_run", "1", ok.toString(), partial.toString());
        assertThat(lacksGauge.exit()).as("a malformed scrape text outranks a failed test").isEqualTo(2);
        assertThat(lacksGauge.err()).contains("lacks sandbox_provisioning_duration_p99_ms");

        Path noPhases = prom(PROM.lines().filter(l -> !l.contains("phase")).reduce("", (a, b) -> a + b + "\n"));
        Run lacksPhases = call("verdict_run", "0", ok.toString(), noPhases.toString());
        assertThat(lacksPhases.exit()).as(lacksPhases.err()).isEqualTo(2);
        assertThat(lacksPhases.err()).contains("lacks sandbox_provisioning_phase_duration_seconds_bucket");
    }

    @Test
    void aMissingComponentExitsThreeNamingIt() throws Exception {
        Run missing = call("verdict_environment", "Chromium (set CHROME_PATH)", "a Docker engine");
        assertThat(missing.exit()).isEqualTo(3);
        assertThat(missing.err()).contains("cannot run the benchmark; missing:")
                .contains("  - Chromium (set CHROME_PATH)").contains("  - a Docker engine");

        Run complete = call("verdict_environment");
        assertThat(complete.exit()).isZero();
        assertThat(complete.err()).isEmpty();
    }
}
