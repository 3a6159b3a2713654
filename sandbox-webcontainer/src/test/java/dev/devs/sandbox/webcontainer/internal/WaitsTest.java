package dev.devs.sandbox.webcontainer.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The module's back-off loop. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class WaitsTest {

    @AfterEach
    void clearInterrupt() {
        Thread.interrupted(); // a failed assertion must not leave the flag to the next test
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
