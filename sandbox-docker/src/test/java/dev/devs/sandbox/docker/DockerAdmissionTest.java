package dev.devs.sandbox.docker;

import static dev.devs.sandbox.docker.DockerTestSupport.assertNothingLeftOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import dev.devs.sandbox.tck.Patience;
import dev.devs.sandbox.tck.RecordingListener;
import dev.devs.sandbox.Sandbox;
import dev.devs.sandbox.SandboxLifecycleEvent;
import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxTimeoutException;
import dev.devs.sandbox.StopOutcome;
import dev.devs.sandbox.internal.DaemonThreads;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The admission gate against the real engine, with a bound of one: a stop that waits out a long grace period holds
 * the only slot, so that what queues behind it is known without timing anything. A start queued there still
 * succeeds once the slot is free, with its wait as the phase {@code queued}; a start whose deadline passes in the
 * queue fails saying it was queued and for how long, and leaves nothing behind.
 */
@ExtendWith(SessionLeakCheck.class)
@Timeout(120)
class DockerAdmissionTest {

    /** The stop holds the slot this long (its process ignores SIGTERM): far beyond the queued start's deadline. */
    private static final Duration HOLD = Duration.ofSeconds(10);

    private final RecordingListener events = new RecordingListener();
    private final ExecutorService threads = Executors.newCachedThreadPool(DaemonThreads.named("admission-test"));
    private final DockerDriver driver = DockerDriver.builder().maxEngineOperations(1).build();
    private final SandboxProvider provider = SandboxProvider.builder(driver).listener(events).build();

    @AfterEach
    void tearDown() {
        provider.close();
        threads.shutdownNow();
    }

    @Test
    void aStartQueuedBehindAFullGateSucceedsAndOneWhoseDeadlinePassesInTheQueueFailsSayingSoAndLeavesNothing() throws Exception {
        Sandbox stubborn = provider.start(DockerTestSupport.ignoringSigterm().stopGracePeriod(HOLD).build());
        CompletableFuture<StopOutcome> stopping = CompletableFuture.supplyAsync(stubborn::stop, threads);
        await().atMost(Patience.seconds(30)).until(() -> driver.gate().inFlight() == 1);

        // Queued first, so that both starts wait behind the stop whatever else the machine is doing.
        CompletableFuture<Sandbox> queued = provider.startAsync(DockerTestSupport.sleeper().startupTimeout(Duration.ofSeconds(60)).build());
        await().atMost(Patience.seconds(30)).until(() -> driver.gate().queued() == 1);
        events.clear();
        Throwable late = catchThrowable(() -> provider.start(DockerTestSupport.sleeper().startupTimeout(Duration.ofMillis(300)).build()));
        String lateId = DockerTestSupport.startedId(events.events());
        assertThat(late).isInstanceOf(SandboxTimeoutException.class)
                .hasMessageContaining("sandbox " + lateId)
                .hasMessageContaining("was queued for ")
                .hasMessageContaining("at most 1 in flight")
                .hasMessageContaining("nothing was created");
        assertThat(events.eventsOf(lateId).stream().filter(SandboxLifecycleEvent.Failed.class::isInstance)
                .map(e -> ((SandboxLifecycleEvent.Failed) e).phases()).findFirst().orElseThrow()).containsKey(DockerDriver.QUEUED_PHASE);
        assertNothingLeftOf(lateId);

        assertThat(stopping.get(60, TimeUnit.SECONDS)).isEqualTo(StopOutcome.KILLED);
        Sandbox sandbox = queued.get(60, TimeUnit.SECONDS);
        assertThat(sandbox.phases()).containsKey(DockerDriver.QUEUED_PHASE);
        assertThat(events.eventsOf(sandbox.id()).stream().filter(SandboxLifecycleEvent.Ready.class::isInstance)
                .map(e -> ((SandboxLifecycleEvent.Ready) e).phases()).findFirst().orElseThrow()).containsKey(DockerDriver.QUEUED_PHASE);
        sandbox.stop();
        assertNothingLeftOf(sandbox.id());
        assertNothingLeftOf(stubborn.id());
        assertThat(driver.gate().inFlight()).isZero();
    }
}
