package dev.devs.sandbox.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The driver's bounded calls run on threads the driver owns: a bound that passes cancels the owned thread's
 * call and never interrupts the caller; a caller's interrupt lets the call under way finish, then fails it
 * and stays the caller's. The
 * blocked calls here are latches, standing in for an engine that does not answer; the engine cases are in
 * the Docker driver's SilentEngineTest.
 */
@Timeout(20)
class BoundedCallsTest {

    private static final Duration SHORT = Duration.ofMillis(200);
    private static final Duration LONG = Duration.ofSeconds(15);

    private final BoundedCalls calls = new BoundedCalls("bounded-calls-test", "closed for the test");
    /** Released by every test's end, so that no owned thread outlives its test even if a cancel failed. */
    private final CountDownLatch never = new CountDownLatch(1);

    @AfterEach
    void tearDown() {
        never.countDown();
        calls.close();
    }

    /** A call that blocks until interrupted (or the test ends), recording whether the interrupt reached it. */
    private String blockUntilInterrupted(AtomicBoolean interrupted) {
        try {
            never.await();
            return "released";
        } catch (InterruptedException e) {
            interrupted.set(true);
            return "interrupted";
        }
    }

    @Test
    void aCallThatOutlivesItsBoundFailsWithoutInterruptingTheCallerAndFreesItsOwnedThread() throws Exception {
        AtomicBoolean ownedThreadInterrupted = new AtomicBoolean();

        assertThatThrownBy(() -> calls.call(() -> blockUntilInterrupted(ownedThreadInterrupted), SHORT))
                .isInstanceOf(BoundedCalls.TimedOut.class)
                .hasMessageContaining("no answer within " + SHORT);

        assertThat(Thread.interrupted()).as("caller's interrupt status after a timed-out call").isFalse();
        // The cancel interrupted the owned thread, which is free again.
        await().atMost(LONG).untilAsserted(() -> assertThat(ownedThreadInterrupted).as("owned thread interrupted").isTrue());
        await().atMost(LONG).untilAsserted(() -> assertThat(calls.activeCount()).as("owned threads busy").isZero());
        assertThat(calls.call(() -> "later", LONG)).isEqualTo("later");
    }

    @Test
    void aCallersInterruptLetsTheCallFinishThenFailsItWithTheInterruptStillSet() throws Exception {
        AtomicBoolean ownedThreadInterrupted = new AtomicBoolean();
        AtomicBoolean callFinished = new AtomicBoolean();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        AtomicBoolean interruptedAfter = new AtomicBoolean();
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        Thread caller = new Thread(() -> {
            try {
                calls.call(() -> {
                    running.countDown();
                    try {
                        finish.await(); // an engine call under way: the engine would go on with it anyway
                        callFinished.set(true);
                    } catch (InterruptedException e) {
                        ownedThreadInterrupted.set(true);
                    }
                    return "created";
                }, LONG);
            } catch (Throwable t) {
                thrown.set(t);
            }
            interruptedAfter.set(Thread.currentThread().isInterrupted());
        }, "bounded-calls-test-caller");
        caller.start();
        assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();

        caller.interrupt();
        finish.countDown();
        caller.join();

        assertThat(thrown.get()).isInstanceOf(InterruptedException.class);
        assertThat(interruptedAfter).as("caller's interrupt status after the call failed").isTrue();
        assertThat(callFinished).as("the call under way was let finish").isTrue();
        assertThat(ownedThreadInterrupted).as("owned thread interrupted").isFalse();
    }

    @Test
    void aCallerAlreadyInterruptedMakesNoCallAndStaysInterrupted() {
        AtomicBoolean called = new AtomicBoolean();
        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(() -> calls.call(() -> called.getAndSet(true), LONG)).isInstanceOf(InterruptedException.class);
            assertThat(Thread.currentThread().isInterrupted()).as("caller's interrupt status").isTrue();
        } finally {
            Thread.interrupted();
        }
        assertThat(called).as("call made").isFalse();
    }

    @Test
    void anUninterruptibleCallFinishesDespiteTheCallersInterruptAndLeavesItSet() {
        // The call is released only once it is under way on its owned thread, with the caller interrupted all along.
        CountDownLatch release = new CountDownLatch(1);
        Thread releaser = new Thread(() -> {
            await().atMost(LONG).until(() -> calls.activeCount() == 1);
            release.countDown();
        }, "bounded-calls-test-releaser");
        releaser.start();
        Thread.currentThread().interrupt();
        try {
            assertThat(calls.callUninterruptibly(() -> {
                awaitQuietly(release);
                return "removed";
            }, LONG)).isEqualTo("removed");
            assertThat(Thread.currentThread().isInterrupted()).as("caller's interrupt status").isTrue();
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void whatTheCallThrowsReachesTheCallerAsItWasThrown() {
        IllegalArgumentException failure = new IllegalArgumentException("from the owned thread");

        assertThatThrownBy(() -> calls.call(() -> {
            throw failure;
        }, LONG)).isSameAs(failure);
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
    }

    @Test
    void callsRunOnOwnedDaemonThreadsWhichAreReused() throws Exception {
        java.util.Set<Thread> used = new java.util.HashSet<>();
        int calls = 20;
        for (int i = 0; i < calls; i++) {
            used.add(this.calls.call(Thread::currentThread, LONG));
            // Until the owned thread has finished its call: one still finishing its last call when the next one comes
            // makes the pool start another (and a moment remains between that and its wait for work, which is why this
            // does not ask for exactly one).
            await().atMost(LONG).until(() -> this.calls.activeCount() == 0);
        }

        assertThat(used).doesNotContain(Thread.currentThread())
                .allSatisfy(t -> {
                    assertThat(t.getName()).startsWith("bounded-calls-test-");
                    assertThat(t.isDaemon()).isTrue();
                });
        assertThat(used).as("owned threads used by %s sequential calls", calls).hasSizeLessThan(calls / 2);
    }

    @Test
    void aClosedInstanceRefusesCallsWithItsMessage() {
        calls.close();

        assertThatThrownBy(() -> calls.call(() -> "x", LONG))
                .isInstanceOf(IllegalStateException.class).hasMessage("closed for the test");
    }

    private static void awaitQuietly(CountDownLatch latch) {
        while (true) {
            try {
                latch.await();
                return;
            } catch (InterruptedException e) {
                // an owned thread of a call nobody cancels: keep waiting
            }
        }
    }
}
