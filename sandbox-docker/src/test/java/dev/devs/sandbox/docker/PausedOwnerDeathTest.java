package dev.devs.sandbox.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.devs.sandbox.ResourceLabels;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A JVM whose sandboxes are all paused is killed with SIGKILL, and no other JVM is started: the sandboxes and their
 * volumes still go within 30 s, as running ones do ({@link OwnerDeathTest}). A pause stops the sandbox's processes
 * but not its watchdog, which sees the owner's stdin end. The time it took is printed.
 */
@Timeout(180)
class PausedOwnerDeathTest {

    private static final Duration REQUIRED = Duration.ofSeconds(30);

    private final String session = "paused-owner-death-" + UUID.randomUUID();

    @AfterEach
    void removeLeftovers() {
        OwnerDeathTest.removeQuietly(session);
    }

    @ParameterizedTest
    @ValueSource(strings = {"runc", "runsc"})
    void killingTheOwnerOfPausedSandboxesLeavesNothingWithin30s(String runtime) throws Exception {
        assumeThat(IsolationImages.engineRuntimes()).as("runtime '%s' is not registered with the engine under test", runtime)
                .contains(runtime);
        try (ChildJvm child = ChildJvm.start(PausedOwnerChild.class, session, runtime, "3")) {
            child.awaitLine("HOLDING", Duration.ofSeconds(90));
            int before = DockerTestSupport.containersLabelled(ResourceLabels.SESSION, session).size();
            assertThat(before).as("3 paused sandboxes").isEqualTo(3);
            for (var c : DockerTestSupport.containersLabelled(ResourceLabels.SESSION, session)) {
                assertThat(DockerPauseTest.runningProcessesBesidesTheWatchdog(c.getId()))
                        .as("processes of paused sandbox %s not stopped", c.getId()).isEmpty();
            }

            long t0 = System.nanoTime();
            child.kill9();
            Duration gone = OwnerDeathTest.awaitNothingLabelled(session, REQUIRED);
            System.out.printf("[paused-owner-death] %s: %d paused containers; all gone %d ms after SIGKILL%n",
                    runtime, before, Duration.ofNanos(System.nanoTime() - t0).toMillis());
            assertThat(gone).as("containers and volumes left %s after the owner's SIGKILL", REQUIRED).isNotNull();
        }
    }
}
