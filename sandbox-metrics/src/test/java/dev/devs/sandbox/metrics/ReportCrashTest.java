package dev.devs.sandbox.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A JVM writing the JSON report and metrics.prom in a burst is killed with SIGKILL at a random moment, five
 * times: each time both files are complete documents (the old one or the new one, never half of one), because
 * each is written to a temporary file in the same directory and renamed over the old one.
 */
class ReportCrashTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    @Timeout(120)
    void bothFilesAreCompleteAfterAKillDuringAWriteBurst() throws Exception {
        for (int round = 0; round < 5; round++) {
            Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), "-Xmx128m", ReportWriterChild.class.getName(), dir.toString())
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
                assertThat(out.readLine()).as("the child started writing").isEqualTo("WRITING");
                Thread.sleep(100 + ThreadLocalRandom.current().nextInt(400));
            } finally {
                child.toHandle().destroyForcibly();
                child.waitFor(10, TimeUnit.SECONDS);
            }

            JsonNode report = JSON.readTree(Files.readAllBytes(dir.resolve("sandbox_latency_benchmark.json")));
            assertThat(report.has("p95Ms") && report.has("series")).as("round %d: a complete report", round).isTrue();
            List<String> prom = Files.readAllLines(dir.resolve("metrics.prom"));
            assertThat(String.join("\n", prom)).as("round %d: metrics.prom", round).contains("sandbox_provisioning_duration_p95_ms");
            assertThat(prom).as("round %d: every line a comment or a complete sample", round)
                    .allMatch(l -> l.startsWith("#") || l.matches("[a-zA-Z_:][a-zA-Z0-9_:]*(\\{.*\\})? \\S+( \\S+)?"));
            assertThat(Files.readString(dir.resolve("metrics.prom"))).as("round %d: ends with its last line", round).endsWith("\n");
        }
    }
}
