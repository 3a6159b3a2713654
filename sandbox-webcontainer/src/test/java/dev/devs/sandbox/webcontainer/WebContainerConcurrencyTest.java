package dev.devs.sandbox.webcontainer;

import dev.devs.sandbox.tck.Patience;
import static dev.devs.sandbox.SandboxLifecycleEvent.Type.FAILED;
import static dev.devs.sandbox.SandboxLifecycleEvent.Type.STARTING;
import static org.assertj.core.api.Assertions.assertThat;

import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.SandboxStartException;
import dev.devs.sandbox.StopOutcome;
import dev.devs.sandbox.internal.DaemonThreads;
import dev.devs.sandbox.spi.PhaseRecorder;
import dev.devs.sandbox.spi.SandboxDriver;
import dev.devs.sandbox.spi.StartContext;
import dev.devs.sandbox.tck.TestStartContexts;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A caller interrupted in the middle of a boot, and two threads stopping one handle: the outcome is one clear failure
 * or one stop, the caller keeps its interrupt, and no browser context is left. (The driver contract covers an
 * interrupt before the driver is reached and two threads stopping through the provider.)
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WebContainerConcurrencyTest extends WithStandInProvider {

    private static final Duration CALL = Duration.ofSeconds(5);
    private static final PhaseRecorder NO_PHASES = (name, nanos) -> { };

    @BeforeEach
    void warmDriver() {
        // A warm browser: the starts below spend their time in the page, where an interrupt must clean up.
        provider.start(SandboxSpec.builder().build()).stop();
        leaks.track(driver);
        events.clear();
    }

    @Test
    void interruptedStartFailsKeepsTheCallersInterruptAndLeavesNoContext() throws Exception {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        AtomicBoolean interruptedAfter = new AtomicBoolean();
        Thread caller = interruptMidStart(() -> provider.start(slowSpec()), thrown, interruptedAfter);

        assertThat(caller.isAlive()).isFalse();
        assertThat(thrown.get()).isInstanceOf(SandboxStartException.class).hasMessageContaining("was interrupted");
        assertThat(interruptedAfter).as("the caller's interrupt flag after start() failed").isTrue();
        assertThat(events.types()).containsExactly(STARTING, FAILED);
        assertThat(openContexts()).as("browser contexts left by the interrupted start").isEmpty();
        assertThat(driver.browserAlive()).isTrue();
    }

    @Test
    void driverStartOfAnInterruptedCallerThrowsInterruptedExceptionAfterDisposingItsContext() throws Exception {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        AtomicBoolean interruptedAfter = new AtomicBoolean();
        interruptMidStart(() -> driver.start(slowSpec(), context("interrupted-1")), thrown, interruptedAfter);

        // The driver neither eats the interrupt nor turns it into another failure: the caller gets it back.
        assertThat(thrown.get()).isInstanceOf(InterruptedException.class);
        assertThat(openContexts()).as("browser contexts left by the interrupted start").isEmpty();
    }

    @Test
    void twoThreadsStoppingTheSameHandleDisposeItsContextOnce() throws Exception {
        SandboxDriver.Handle handle = driver.start(SandboxSpec.builder().build(), context("stopped-twice"));
        assertThat(openContexts()).hasSize(1);

        List<StopOutcome> outcomes = together(() -> handle.stop(Duration.ofSeconds(5), NO_PHASES),
                () -> handle.stop(Duration.ofSeconds(5), NO_PHASES));

        // A second teardown of a gone page would be KILLED, and a second dispose fails in the browser.
        assertThat(outcomes).containsExactly(StopOutcome.STOPPED, StopOutcome.STOPPED);
        assertThat(openContexts()).isEmpty();
    }

    /**
     * Runs {@code start} on a thread of its own, interrupts it once its boot has reached the runtime, and waits for
     * it to end; records what it threw and whether its interrupt flag was set afterwards.
     */
    private Thread interruptMidStart(Callable<?> start, AtomicReference<Throwable> thrown, AtomicBoolean interruptedAfter)
            throws InterruptedException {
        int bootsBefore = runtime.headlessRequests().size();
        Thread caller = DaemonThreads.named("interrupted-start").newThread(() -> {
            try {
                Object made = start.call();
                thrown.set(new AssertionError("the start succeeded: " + made));
            } catch (Throwable e) {
                thrown.set(e);
            }
            interruptedAfter.set(Thread.currentThread().isInterrupted());
        });
        caller.start();
        Awaitility.await("the start's boot to reach the runtime").atMost(Patience.seconds(30))
                .until(() -> runtime.headlessRequests().size() > bootsBefore);
        caller.interrupt();
        caller.join();
        return caller;
    }

    /** A spec whose readiness probe never passes: only the interrupt can end its start early. */
    private static SandboxSpec slowSpec() {
        return SandboxSpec.builder().readinessProbe("sleep", "300").startupTimeout(Duration.ofMinutes(5)).build();
    }

    private static StartContext context(String sandboxId) {
        return TestStartContexts.of(sandboxId, "concurrency-test", Duration.ofMinutes(5));
    }

    private static List<StopOutcome> together(Callable<StopOutcome> first, Callable<StopOutcome> second) throws Exception {
        CyclicBarrier barrier = new CyclicBarrier(2);
        List<CompletableFuture<StopOutcome>> stops = new ArrayList<>();
        for (Callable<StopOutcome> stop : List.of(first, second)) {
            stops.add(CompletableFuture.supplyAsync(() -> {
                try {
                    barrier.await();
                    return stop.call();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, DaemonThreadsExecutor.INSTANCE));
        }
        List<StopOutcome> outcomes = new ArrayList<>();
        for (CompletableFuture<StopOutcome> f : stops) {
            outcomes.add(f.get());
        }
        return outcomes;
    }

    /** One daemon thread per task: the two stops must not queue behind each other in a shared pool. */
    private enum DaemonThreadsExecutor implements java.util.concurrent.Executor {
        INSTANCE;

        @Override
        public void execute(Runnable task) {
            DaemonThreads.named("concurrent-stop").newThread(task).start();
        }
    }

    private List<String> openContexts() throws InterruptedException {
        return driver.browserConnection().orElseThrow().browserContextIds(CALL);
    }
}
