package dev.devs.sandbox.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.devs.sandbox.Sandbox;
import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.SandboxStartException;
import dev.devs.sandbox.tck.Patience;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * READY means the sandbox is running its command: a command that does not exist never returns READY (50
 * tries), and fails with the exit status and the last lines it wrote. A sandbox whose maximum lifetime passes is ended and removed by the engine, with no stop().
 */
class ReadyMeansRunningTest {

    private final String session = "ready-" + UUID.randomUUID();
    private final SandboxProvider provider = SandboxProvider.builder(new DockerDriver()).sessionId(session).build();

    @AfterEach
    void tearDown() throws InterruptedException {
        provider.close();
        assertThat(OwnerDeathTest.awaitNothingLabelled(session, Patience.seconds(10))).as("leftovers of " + session).isNotNull();
    }

    @Test
    @Timeout(180)
    void aCommandThatDoesNotExistNeverReturnsReady() {
        SandboxSpec spec = SandboxSpec.builder(DockerTestSupport.TINY_IMAGE).command("no-such-program", "x").build();
        for (int i = 0; i < 50; i++) {
            assertThatThrownBy(() -> provider.start(spec)).as("try %d", i)
                    .isInstanceOf(SandboxStartException.class)
                    .hasMessageContaining("exited with status 127 (not found)")
                    .hasMessageContaining("command not found: no-such-program");
        }
    }

    @Test
    @Timeout(120)
    void noCommandWhereTheImageHasNoneNeverReturnsReady(@TempDir Path context) throws IOException {
        String image = "devs-docker-test-nocmd-" + UUID.randomUUID().toString().substring(0, 8) + ":1";
        Files.writeString(context.resolve("Dockerfile"), "FROM " + DockerTestSupport.TINY_IMAGE + "\nCMD []\n");
        DockerTestSupport.cli("build", "-q", "-t", image, context.toString());
        try {
            SandboxSpec spec = SandboxSpec.builder(image).build();
            for (int i = 0; i < 10; i++) {
                assertThatThrownBy(() -> provider.start(spec)).as("try %d", i)
                        .isInstanceOf(SandboxStartException.class)
                        .hasMessageContaining("exited with status 127")
                        .hasMessageContaining("no command to run: the spec gives none and the image defines none");
            }
        } finally {
            DockerTestSupport.cli("rmi", image);
        }
    }

    @Test
    @Timeout(60)
    void theMaximumLifetimeEndsAndRemovesTheSandboxWithoutAnyStop() throws InterruptedException {
        Sandbox sb = provider.start(DockerTestSupport.sleeper().maxLifetime(Duration.ofSeconds(2)).scratchVolume("/scratch").build());
        assertThat(DockerTestSupport.cliContainersOf(sb.id())).hasSize(1);

        long t0 = System.nanoTime();
        await().atMost(Patience.seconds(20)).pollInterval(Duration.ofMillis(100))
                .until(() -> DockerTestSupport.cliContainersOf(sb.id()).isEmpty());
        System.out.printf("[max-lifetime] PT2S sandbox gone %d ms after its start returned%n", Duration.ofNanos(System.nanoTime() - t0).toMillis());
        DockerTestSupport.assertNothingLeftOf(sb.id());
        assertThat(sb.isAlive()).isFalse();
    }

    @Test
    @Timeout(240)
    void aCommandThatEndsAtOnceFailsWithItsStatusAndOutputOrEndsItsSandboxByItself() throws InterruptedException {
        // Whether the driver hears of the end before it returns is a race it cannot always win (the end may come a
        // moment after its last look); what must hold either way: a failed start carries the status and the last
        // output lines, and a sandbox that was returned ends and is removed without any stop().
        endsAtOnce(SandboxSpec.builder(DockerTestSupport.TINY_IMAGE).command("sh", "-c", "echo boom-$$ >&2; exit 3").build(),
                "exited with status 3", "boom-");
        // No command: the image's default, a shell, reads its stdin (/dev/null) and ends at once with status 0.
        endsAtOnce(SandboxSpec.builder(DockerTestSupport.TINY_IMAGE).build(), "the image's default command exited with status 0", null);
    }

    private void endsAtOnce(SandboxSpec spec, String status, String output) throws InterruptedException {
        int failed = 0;
        for (int i = 0; i < 15; i++) {
            try {
                Sandbox sb = provider.start(spec);
                int attempt = i;
                // Podman removes an ended container a moment after it stops running.
                await().atMost(Patience.seconds(10)).pollInterval(Duration.ofMillis(20))
                        .untilAsserted(() -> assertThat(sb.isAlive() || !DockerTestSupport.cliContainersOf(sb.id()).isEmpty())
                                .as("try %d: a sandbox whose command ended is alive or left", attempt).isFalse());
                DockerTestSupport.assertNothingLeftOf(sb.id());
            } catch (SandboxStartException e) {
                failed++;
                assertThat(e).as("try %d", i).hasMessageContaining(status);
                if (output != null) { // null: the command writes nothing, so there is no output to find
                    assertThat(e).as("try %d", i).hasMessageContaining(output);
                }
            }
        }
        System.out.printf("[ready-means-running] %s failed its start %d times of 15%n", spec.command(), failed);
    }
}
