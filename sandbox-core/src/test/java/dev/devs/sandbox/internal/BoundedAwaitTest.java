package dev.devs.sandbox.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Bounded waits for futures other threads complete: what happens to the future and to the caller's interrupt. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class BoundedAwaitTest {

    @AfterEach
    void clearInterrupt() {
        Thread.interrupted(); // a failed assertion must not leave the flag to the next test
    }

    @Test
    void awaitReturnsTheResultAndCancelsTheFutureWhenItTimesOut() throws Exception {
        assertThat(BoundedCalls.await(CompletableFuture.completedFuture("done"), Duration.ofSeconds(1))).isEqualTo("done");

        CompletableFuture<String> never = new CompletableFuture<>();
        assertThatThrownBy(() -> BoundedCalls.await(never, Duration.ofMillis(20))).isInstanceOf(TimeoutException.class);
        assertThat(never).as("a future nobody waits for any more").isCancelled();
    }

    @Test
    void awaitOnAnInterruptedThreadThrowsCancelsTheFutureAndLeavesTheInterruptToTheCaller() {
        CompletableFuture<String> never = new CompletableFuture<>();
        Thread.currentThread().interrupt();
        assertThatThrownBy(() -> BoundedCalls.await(never, Duration.ofSeconds(5))).isInstanceOf(InterruptedException.class);
        assertThat(never).isCancelled();
    }

    @Test
    void awaitUninterruptiblyWaitsThroughAnInterruptAndSetsItAgain() throws Exception {
        CompletableFuture<String> later = new CompletableFuture<>();
        CountDownLatch waiting = new CountDownLatch(1);
        AtomicReference<String> result = new AtomicReference<>();
        AtomicBoolean interruptedAfter = new AtomicBoolean();
        Thread caller = DaemonThreads.named("await-test-caller").newThread(() -> {
            waiting.countDown();
            try {
                result.set(BoundedCalls.awaitUninterruptibly(later, Duration.ofSeconds(5)));
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
    void awaitUninterruptiblyStillTimesOutAndCancels() {
        CompletableFuture<String> never = new CompletableFuture<>();
        Thread.currentThread().interrupt();
        assertThatThrownBy(() -> BoundedCalls.awaitUninterruptibly(never, Duration.ofMillis(20))).isInstanceOf(TimeoutException.class);
        assertThat(never).isCancelled();
        assertThat(Thread.currentThread().isInterrupted()).as("the interrupt it waited through").isTrue();
    }

}
