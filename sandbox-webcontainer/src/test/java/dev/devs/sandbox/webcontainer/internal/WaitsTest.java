package dev.devs.sandbox.webcontainer.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.devs.sandbox.internal.DaemonThreads;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The module's bounded waits: what happens to the future and to the caller's interrupt. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class WaitsTest {

    @AfterEach
    void clearInterrupt() {
        Thread.interrupted(); // a failed assertion must not leave the flag to the next test
    }

    @Test
    void getReturnsTheResultAndCancelsTheFutureWhenItTimesOut() throws Exception {
        assertThat(Waits.get(CompletableFuture.completedFuture("done"), Duration.ofSeconds(1))).isEqualTo("done");

        CompletableFuture<String> never = new CompletableFuture<>();
        assertThatThrownBy(() -> Waits.get(never, Duration.ofMillis(20))).isInstanceOf(TimeoutException.class);
        assertThat(never).as("a future nobody waits for any more").isCancelled();
    }

    @Test
    void getOnAnInterruptedThreadThrowsCancelsTheFutureAndLeavesTheInterruptToTheCaller() {
        CompletableFuture<String> never = new CompletableFuture<>();
        Thread.currentThread().interrupt();
        assertThatThrownBy(() -> Waits.get(never, Duration.ofSeconds(5))).isInstanceOf(InterruptedException.class);
        assertThat(never).isCancelled();
    }

    @Test
    void getUninterruptiblyWaitsThroughAnInterruptAndSetsItAgain() throws Exception {
        CompletableFuture<String> later = new CompletableFuture<>();
        CountDownLatch waiting = new CountDownLatch(1);
        AtomicReference<String> result = new AtomicReference<>();
        AtomicBoolean interruptedAfter = new AtomicBoolean();
        Thread caller = DaemonThreads.named("waits-test-caller").newThread(() -> {
            waiting.countDown();
            try {
                result.set(Waits.getUninterruptibly(later, Duration.ofSeconds(5)));
            } catch (Exception e) {
                result.set("threw " + e);
            }
            interruptedAfter.set(Thread.currentThread().isInterrupted());
        });
        caller.start();
        waiting.await();
        caller.interrupt();
        later.complete("done");
        caller.join();

        assertThat(result.get()).isEqualTo("done");
        assertThat(interruptedAfter).as("the caller's interrupt, set again").isTrue();
    }

    @Test
    void getUninterruptiblyStillTimesOutAndCancels() {
        CompletableFuture<String> never = new CompletableFuture<>();
        Thread.currentThread().interrupt();
        assertThatThrownBy(() -> Waits.getUninterruptibly(never, Duration.ofMillis(20))).isInstanceOf(TimeoutException.class);
        assertThat(never).isCancelled();
        assertThat(Thread.currentThread().isInterrupted()).as("the interrupt it waited through").isTrue();
    }

    @Test
    void pollRetriesUntilAnAttemptSucceedsAndGivesUpAtItsTimeout() throws Exception {
        AtomicInteger tries = new AtomicInteger();
        assertThat(Waits.poll(Duration.ofMillis(1), Duration.ofSeconds(5), () -> tries.incrementAndGet() == 3)).isTrue();
        assertThat(tries).hasValue(3);

        AtomicInteger failing = new AtomicInteger();
        assertThat(Waits.poll(Duration.ofMillis(1), Duration.ofMillis(30), () -> failing.incrementAndGet() < 0)).isFalse();
        assertThat(failing.get()).as("tries of an attempt that never succeeds").isGreaterThan(1);
    }

    @Test
    void pollTriesOnceEvenWithNoTimeLeftAndStopsWhenInterrupted() {
        AtomicInteger tries = new AtomicInteger();
        Thread.currentThread().interrupt();
        assertThatThrownBy(() -> Waits.poll(Duration.ofMillis(1), Duration.ofSeconds(5), () -> tries.incrementAndGet() < 0))
                .isInstanceOf(InterruptedException.class);
        assertThat(tries).hasValue(1);
    }
}
