package dev.devs.sandbox.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.devs.sandbox.ExecResult;
import dev.devs.sandbox.Sandbox;
import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.SandboxStartException;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What READY promises about the user's program (docs/design.md, "What READY promises"), on dockerd and on Podman: the
 * program has been exec'd and was running when READY was decided, so a look for it right after READY finds it with no
 * wait; and the opt-in {@link SandboxSpec#minimumRunningTime()} keeps a program that ends at once from ever being READY.
 */
class ReadyPromiseTest {

    private final String session = "ready-promise-" + UUID.randomUUID();
    private final SandboxProvider provider = SandboxProvider.builder(new DockerDriver()).sessionId(session).build();

    @AfterEach
    void tearDown() throws InterruptedException {
        provider.close();
        assertThat(OwnerDeathTest.awaitNothingLabelled(session, DockerTestSupport.PATIENCE)).as("leftovers of " + session).isNotNull();
    }

    @Test
    @Timeout(300)
    void theProgramExistsTheMomentTheStartReturns() {
        // Before the watchdog waited for the exec, pidof found no sleep here in about one try of two on a slow machine.
        for (int i = 0; i < 15; i++) {
            try (Sandbox sb = provider.start(DockerTestSupport.sleeper().build())) {
                ExecResult found = sb.exec(List.of("pidof", "sleep"), Duration.ofSeconds(30));
                assertThat(found.exitCode()).as("try %d: pidof sleep right after READY (stdout '%s', stderr '%s')", i,
                        found.stdout(), found.stderr()).isZero();
            }
        }
    }

    @Test
    @Timeout(300)
    void anImageDefaultShellThatEndsAtOnceIsNeverReadyWithAMinimumRunningTime() {
        // The tiny image's default command is a shell reading its stdin (/dev/null): it ends at once, with status 0.
        SandboxSpec spec = SandboxSpec.builder(DockerTestSupport.TINY_IMAGE).minimumRunningTime(Duration.ofSeconds(3)).build();
        // Five tries: without the minimum this start is READY in most tries, so five failures show the minimum at work.
        assertNeverReady(spec, 5, "the image's default command exited with status 0");
    }

    @Test
    @Timeout(300)
    void aProgramEndingWithinItsMinimumRunningTimeIsNeverReady() {
        // Running when the watchdog reports it (so READY without the minimum), but ending a second later.
        SandboxSpec spec = DockerTestSupport.sleeper().command("sleep", "1").minimumRunningTime(Duration.ofSeconds(4)).build();
        assertNeverReady(spec, 3, "command [sleep, 1] exited with status 0");
    }

    /** Each of {@code tries} starts of {@code spec} fails naming how its program ended, and none leaves a sandbox. */
    private void assertNeverReady(SandboxSpec spec, int tries, String howItEnded) {
        for (int i = 0; i < tries; i++) {
            assertThatThrownBy(() -> provider.start(spec)).as("try %d", i)
                    .isInstanceOf(SandboxStartException.class)
                    .hasMessageContaining(howItEnded);
        }
        assertThat(provider.liveSandboxes()).isEmpty();
    }

    @Test
    @Timeout(120)
    void aLongRunningCommandIsReadyOnceItsMinimumRunningTimeHasPassed() {
        Duration minimum = Duration.ofSeconds(2);
        try (Sandbox sb = provider.start(DockerTestSupport.sleeper().minimumRunningTime(minimum).build())) {
            assertThat(sb.isAlive()).isTrue();
            // The driver waited on the owner link for the whole minimum (a timed latch wait never returns early).
            assertThat(sb.phases()).containsKey("minimum-running");
            assertThat(sb.phases().get("minimum-running")).isGreaterThanOrEqualTo(minimum);
            assertThat(sb.exec(List.of("pidof", "sleep"), Duration.ofSeconds(30)).exitCode()).isZero();
        }
    }

    @Test
    void aMinimumRunningTimeNotShorterThanTheStartupTimeoutIsRejectedNamingBoth() {
        assertThatThrownBy(() -> DockerTestSupport.sleeper().startupTimeout(Duration.ofSeconds(5))
                .minimumRunningTime(Duration.ofSeconds(5)).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("minimumRunningTime PT5S")
                .hasMessageContaining("startupTimeout PT5S");
    }
}
