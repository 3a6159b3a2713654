package dev.devs.sandbox.docker;

import static dev.devs.sandbox.docker.DockerTestSupport.containersLabelled;
import static dev.devs.sandbox.docker.DockerTestSupport.volumesLabelled;
import static org.assertj.core.api.Assertions.assertThat;

import dev.devs.sandbox.ResourceLabels;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A JVM that owns sandboxes is killed with SIGKILL, so no hook of it runs, and no other JVM is started: every
 * sandbox it made (running, pooled, starting) and every volume goes within 30 s, by the engine alone (the
 * owner watchdog sees its stdin end; the engine auto-removes the container and its anonymous volumes). The
 * 30 s is the requirement, not a performance claim; the time it took is printed.
 */
@Timeout(120)
class OwnerDeathTest {

    private static final Duration REQUIRED = Duration.ofSeconds(30);

    private final String session = "owner-death-" + UUID.randomUUID();

    @AfterEach
    void removeLeftovers() {
        removeQuietly(session);
    }

    @Test
    void killingTheOwnerWithRunningPooledAndStartingSandboxesLeavesNothingWithin30s() throws Exception {
        try (ChildJvm child = ChildJvm.start(OwnerChild.class, session, "5", "2", "2")) {
            child.awaitLine("HOLDING", Duration.ofSeconds(60));
            Thread.sleep(300); // let the starts in flight reach the engine
            int before = containersLabelled(ResourceLabels.SESSION, session).size();
            int volumesBefore = volumesLabelled(ResourceLabels.SESSION, session).size();
            assertThat(before).as("5 running + 2 pooled, and some starting").isGreaterThanOrEqualTo(7);
            assertThat(volumesBefore).as("one scratch volume each").isGreaterThanOrEqualTo(7);

            long t0 = System.nanoTime();
            child.kill9();
            Duration gone = awaitNothingLabelled(session, REQUIRED);
            System.out.printf("[owner-death] %d containers, %d volumes; all gone %d ms after SIGKILL%n",
                    before, volumesBefore, Duration.ofNanos(System.nanoTime() - t0).toMillis());
            assertThat(gone).as("containers and volumes left %s after the owner's SIGKILL", REQUIRED).isNotNull();
        }
    }

    /** Polls until no container of the session is running; false after {@code limit}. */
    static boolean awaitNothingRunning(String session, Duration limit) throws InterruptedException {
        long t0 = System.nanoTime();
        while (System.nanoTime() - t0 < limit.toNanos()) {
            if (containersLabelled(ResourceLabels.SESSION, session).stream().noneMatch(c -> "running".equals(c.getState()))) {
                return true;
            }
            Thread.sleep(100);
        }
        return false;
    }

    /** Removes what a failed run left, tolerating what the engine removes at the same time. */
    static void removeQuietly(String session) {
        for (int i = 0; i < 3; i++) {
            try {
                SessionLeakCheck.removeSession(session);
                return;
            } catch (RuntimeException e) {
                // removed meanwhile by the engine: try again
            }
        }
    }

    /** Polls until no container and no volume carries the session; the time it took, or null after {@code limit}. */
    static Duration awaitNothingLabelled(String session, Duration limit) throws InterruptedException {
        long t0 = System.nanoTime();
        while (System.nanoTime() - t0 < limit.toNanos()) {
            if (containersLabelled(ResourceLabels.SESSION, session).isEmpty()
                    && volumesLabelled(ResourceLabels.SESSION, session).isEmpty()) {
                return Duration.ofNanos(System.nanoTime() - t0);
            }
            Thread.sleep(100);
        }
        System.out.println("[owner-death] left after " + limit + ": " + containersLabelled(ResourceLabels.SESSION, session).size()
                + " containers, " + volumesLabelled(ResourceLabels.SESSION, session).size() + " volumes");
        return null;
    }
}
