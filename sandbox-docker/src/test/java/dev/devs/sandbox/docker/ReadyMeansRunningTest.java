package dev.devs.sandbox.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import dev.devs.sandbox.Sandbox;
import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.SandboxStartException;
import dev.devs.sandbox.StopOutcome;
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
 * READY means the sandbox is running its command: a command that does not exist never returns READY (10
 * tries), and fails with the exit status and the last lines it wrote. A command that ends soon always fails
 * its start when the spec sets a minimumRunningTime, and otherwise fails or ends its sandbox by itself. A sandbox whose maximum lifetime passes is ended and removed by the engine, with no stop().
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
        // The watchdog refuses a program it cannot find before it launches anything, so there is no race to sample
        // many times: the tries show the refusal is the same on every start, not a lucky first one.
        for (int i = 0; i < 10; i++) {
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
            for (int i = 0; i < 5; i++) { // refused before anything is launched, as above
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
    void withAMinimumRunningTimeACommandThatEndsWithinItAlwaysFailsNamingItsExit() {
        // The opt-in leaves no race: the program must outlive the minimum, and one that ends soon never does. This one
        // ends a second after it starts, after the driver's last look in almost every try, so without the minimum it
        // would be READY (seen with the minimum ignored in the driver: READY at try 1).
        Duration minimum = Patience.seconds(10);
        alwaysFails(SandboxSpec.builder(DockerTestSupport.TINY_IMAGE).command("sh", "-c", "sleep 1; echo boom-$$ >&2; exit 3")
                .minimumRunningTime(minimum).build(), "exited with status 3", "boom-");
        // No command: the image's default, a shell, reads its stdin (/dev/null) and ends at once with status 0.
        alwaysFails(SandboxSpec.builder(DockerTestSupport.TINY_IMAGE).minimumRunningTime(minimum).build(),
                "the image's default command exited with status 0", null);
    }

    @Test
    @Timeout(240)
    void withoutAMinimumRunningTimeACommandThatEndsAtOnceFailsNamingItsExitOrEndsItsSandboxByItself() {
        // docs/design.md, "What READY promises": without the opt-in, the program was running when READY was decided
        // and nothing more; it may end a moment after the driver's last look. So each start either fails naming the
        // exit and the last output, or returns a sandbox that ends by itself, leaves nothing, and whose stop() says
        // it ended by itself (KILLED). Both outcomes are checked strictly; which one comes is the race.
        SandboxSpec spec = SandboxSpec.builder(DockerTestSupport.TINY_IMAGE).command("sh", "-c", "echo boom-$$ >&2; exit 3").build();
        for (int i = 0; i < 10; i++) {
            int attempt = i;
            Sandbox sb;
            try {
                sb = provider.start(spec);
            } catch (SandboxStartException e) {
                assertThat(e).as("try %d", i).hasMessageContaining("exited with status 3").hasMessageContaining("boom-");
                DockerTestSupport.assertNothingLeftOf(e.sandboxId());
                continue;
            }
            // Podman removes an ended container a moment after it stops running.
            await().atMost(Patience.seconds(10)).pollInterval(Duration.ofMillis(20))
                    .untilAsserted(() -> assertThat(sb.isAlive() || !DockerTestSupport.cliContainersOf(sb.id()).isEmpty())
                            .as("try %d: a sandbox whose command ended is alive or left", attempt).isFalse());
            DockerTestSupport.assertNothingLeftOf(sb.id());
            assertThat(sb.stop()).as("try %d: stop() of a sandbox whose program ended by itself", i).isEqualTo(StopOutcome.KILLED);
        }
    }

    private void alwaysFails(SandboxSpec spec, String status, String output) {
        // Five tries: without the minimum such a start was READY at the first try, so five failures in a row show the
        // minimum at work, not the race.
        for (int i = 0; i < 5; i++) {
            Throwable thrown = catchThrowable(() -> provider.start(spec));
            // Caught by the driver's last look ("not running right after start") or while the minimum runs ("ended
            // within its minimumRunningTime"): either way the start fails, naming the exit.
            assertThat(thrown).as("try %d", i).isInstanceOf(SandboxStartException.class).hasMessageContaining(status);
            if (output != null) { // null: the command writes nothing, so there is no output to find
                assertThat(thrown).as("try %d", i).hasMessageContaining(output);
            }
            DockerTestSupport.assertNothingLeftOf(((SandboxStartException) thrown).sandboxId());
        }
    }
}
