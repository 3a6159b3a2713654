package dev.devs.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A JVM that calls {@code System.exit} with a provider still open stops that provider's sandboxes on the way
 * out (one shutdown hook per JVM); with the hook turned off it does not, which shows the hook is what did it.
 */
@Timeout(60)
class ShutdownHookTest {

    @TempDir
    Path dir;

    @Test
    void systemExitStopsTheSandboxesOfAnOpenProvider() throws Exception {
        assertThat(runChild("hook")).hasSize(3).allMatch(l -> l.startsWith("stopped sbx-"));
    }

    @Test
    void withoutTheHookNothingStopsThem() throws Exception {
        assertThat(runChild("nohook")).isEmpty();
    }

    private List<String> runChild(String mode) throws Exception {
        Path file = dir.resolve(mode + ".txt");
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), ShutdownHookChild.class.getName(), file.toString(), mode)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertThat(child.waitFor(30, TimeUnit.SECONDS)).as("child exited").isTrue();
        assertThat(child.exitValue()).isZero();
        return Files.exists(file) ? Files.readAllLines(file) : List.of();
    }
}
