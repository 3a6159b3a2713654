package dev.devs.sandbox.benchmarks.analyzer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** scripts/analyze_sandbox_latency.sh as a user runs it: plain java on the classpath the build wrote. */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class AnalyzerScriptTest {

    private static final Path SCRIPT = Path.of("..", "scripts", "analyze_sandbox_latency.sh").toAbsolutePath().normalize();

    @TempDir
    Path dir;

    record Run(int exit, String out, String err) {
    }

    private Run script(String... args) throws IOException, InterruptedException {
        String[] command = new String[args.length + 2];
        command[0] = "bash";
        command[1] = SCRIPT.toString();
        System.arraycopy(args, 0, command, 2, args.length);
        Path out = dir.resolve("out.txt");
        Path err = dir.resolve("err.txt");
        Process p = new ProcessBuilder(command).directory(dir.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        try {
            if (!p.waitFor(150, TimeUnit.SECONDS)) {
                throw new AssertionError("the script did not finish within 150 s");
            }
        } finally {
            p.destroyForcibly();
        }
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    @Test
    void passesTheAnalyzersExitCodesThrough() throws Exception {
        Path ok = Files.writeString(dir.resolve("ok.json"),
                "{\"series\":[{\"driver\":\"docker\",\"startType\":\"warm\",\"samples\":[{\"durationMs\":250.5},{\"durationMs\":240}]}]}");
        Run run = script(ok.toString());
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).containsPattern("docker warm\\s+2\\s+240\\.0\\s+250\\.5\\s+250\\.5\\s+10 s\\s+OK");
        assertThat(dir.resolve("ok.png")).exists();

        Path over = Files.writeString(dir.resolve("over.json"),
                "{\"series\":[{\"driver\":\"docker\",\"startType\":\"cold\",\"samples\":[{\"durationMs\":30000.5}]}]}");
        assertThat(script(over.toString(), "--no-chart").exit()).isEqualTo(1);

        Run missing = script(dir.resolve("nope.json").toString());
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err().lines().filter(l -> !l.contains("building the analyzer")).toList())
                .singleElement().asString().contains("nope.json is missing");
    }
}
