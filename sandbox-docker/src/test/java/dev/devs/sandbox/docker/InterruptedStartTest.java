package dev.devs.sandbox.docker;

import static dev.devs.sandbox.SandboxLifecycleEvent.Type.FAILED;
import static dev.devs.sandbox.SandboxLifecycleEvent.Type.STARTING;
import static dev.devs.sandbox.docker.DockerTestSupport.PATIENCE;
import static dev.devs.sandbox.docker.DockerTestSupport.TINY_IMAGE;
import static dev.devs.sandbox.docker.DockerTestSupport.assertNothingLeftOf;
import static dev.devs.sandbox.docker.DockerTestSupport.containersLabelled;
import static dev.devs.sandbox.docker.DockerTestSupport.startedId;
import static dev.devs.sandbox.docker.DockerTestSupport.volumesLabelled;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.devs.sandbox.ResourceLabels;
import dev.devs.sandbox.SandboxLifecycleEvent;
import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.SandboxStartException;
import dev.devs.sandbox.tck.RecordingListener;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A caller interrupted in the middle of a start: the start fails (FAILED, with the interrupt as its cause),
 * everything it created is removed although the thread is interrupted, and the caller's interrupt status is
 * still set afterwards, for the caller's own code to see. The shared driver contract interrupts a start at
 * STARTING, before anything exists; this one interrupts it later, with a container and a volume to remove.
 */
@Timeout(60)
@ExtendWith(SessionLeakCheck.class)
class InterruptedStartTest {

    /** A session of its own, to see this start's resources; the class's leak check watches only the JVM's. */
    private final String session = "devs-test-interrupt-" + UUID.randomUUID();

    @AfterEach
    void removeWhatAFailedRunLeft() {
        SessionLeakCheck.removeSession(session);
    }

    @Test
    void interruptedStartFailsLeavesNothingBehindAndKeepsTheInterrupt() throws Exception {
        RecordingListener events = new RecordingListener();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        AtomicBoolean interruptedAfter = new AtomicBoolean();
        try (SandboxProvider provider = SandboxProvider.builder(new DockerDriver()).sessionId(session).listener(events).build()) {
            // Never ready: the start stays in its readiness phase, with a container and a volume created, until interrupted.
            SandboxSpec spec = SandboxSpec.builder(TINY_IMAGE).command("sleep", "600").readinessProbe("false")
                    .scratchVolume("/scratch").startupTimeout(Duration.ofSeconds(50)).build();
            Thread caller = new Thread(() -> {
                try {
                    provider.start(spec);
                } catch (RuntimeException e) {
                    thrown.set(e);
                }
                interruptedAfter.set(Thread.currentThread().isInterrupted());
            }, "interrupted-start-caller");
            caller.start();
            await().atMost(PATIENCE).pollInterval(Duration.ofMillis(10))
                    .until(() -> !containersLabelled(ResourceLabels.SESSION, session).isEmpty());

            caller.interrupt();
            caller.join();
        }

        assertThat(thrown.get()).isInstanceOf(SandboxStartException.class)
                .hasMessageContaining("was interrupted")
                .hasCauseInstanceOf(InterruptedException.class);
        assertThat(interruptedAfter).as("caller's interrupt status after the start failed").isTrue();
        assertThat(events.types()).containsExactly(STARTING, FAILED);
        assertThat(events.last(SandboxLifecycleEvent.Failed.class).error()).isSameAs(thrown.get());
        assertNothingLeftOf(startedId(events.events()));
        assertThat(containersLabelled(ResourceLabels.SESSION, session)).isEmpty();
        assertThat(volumesLabelled(ResourceLabels.SESSION, session)).isEmpty();
    }
}
