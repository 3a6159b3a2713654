package dev.devs.sandbox.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.SandboxStartException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The owner watchdog needs {@code /bin/sh}: an image without it (here one made for the test from the host's
 * static busybox binary, at {@code /busybox} only) fails its start with a message that says so, and leaves nothing.
 */
@Timeout(60)
class ImageWithoutShellTest {

    private static final String IMAGE = "devs-sandbox-nosh:test";

    @BeforeAll
    static void makeImage(@TempDir Path dir) throws Exception {
        Path busybox = Path.of("/bin/busybox");
        Assumptions.assumeTrue(Files.isExecutable(busybox), "skipped: no /bin/busybox (Debian's busybox-static) to make an image without a shell from");
        Files.copy(busybox, dir.resolve("busybox"), StandardCopyOption.COPY_ATTRIBUTES);
        Process p = new ProcessBuilder("sh", "-c", "tar -C " + dir + " -c busybox | docker import - " + IMAGE).redirectErrorStream(true).start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0).as("docker import").isTrue();
    }

    @AfterAll
    static void removeImage() throws Exception {
        new ProcessBuilder("docker", "rmi", "-f", IMAGE).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start().waitFor(30, TimeUnit.SECONDS);
    }

    @Test
    void anImageWithoutBinShFailsItsStartSayingSo() throws InterruptedException {
        String session = "nosh-" + UUID.randomUUID();
        try (SandboxProvider provider = SandboxProvider.builder(new DockerDriver()).sessionId(session).build()) {
            SandboxSpec spec = SandboxSpec.builder(IMAGE).command("/busybox", "sleep", "600").user("").build();
            assertThatThrownBy(() -> provider.start(spec)).isInstanceOf(SandboxStartException.class)
                    .hasMessageContaining("image '" + IMAGE + "' has no /bin/sh");
        }
        assertThat(OwnerDeathTest.awaitNothingLabelled(session, Duration.ofSeconds(10))).isNotNull();
    }
}
