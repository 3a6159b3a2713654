package dev.devs.sandbox.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.devs.sandbox.internal.DaemonThreads;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The driver's admission gate alone, without an engine: the bound holds under contention, the queue is first come
 * first served, stops go ahead of queued starts, and a waiter that gives up (deadline, interrupt) leaves no trace.
 */
@Timeout(30)
class AdmissionGateTest {

    private static final Duration LONG = Duration.ofSeconds(20);
    private final ExecutorService threads = Executors.newCachedThreadPool(DaemonThreads.named("gate-test"));

    @AfterEach
    void tearDown() {
        threads.shutdownNow();
        Thread.interrupted();
    }

    @Test
    void theBoundHoldsUnderFiftyThreads() throws Exception {
        AdmissionGate gate = new AdmissionGate(4);
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        CountDownLatch go = new CountDownLatch(1);
        List<Future<?>> all = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            AdmissionGate.Kind kind = i % 5 == 0 ? AdmissionGate.Kind.STOP : AdmissionGate.Kind.START;
            all.add(threads.submit(() -> {
                go.await();
                for (int round = 0; round < 20; round++) {
                    try (AdmissionGate.Permit p = gate.enter(kind, LONG)) {
                        assertThat(p).isNotNull();
                        most.accumulateAndGet(inside.incrementAndGet(), Math::max);
                        Thread.yield();
                        inside.decrementAndGet();
                    }
                }
                return null;
            }));
        }
        go.countDown();
        for (Future<?> f : all) {
            f.get();
        }
        assertThat(most.get()).as("operations in flight at once").isLessThanOrEqualTo(4).isGreaterThan(1);
        assertThat(gate.inFlight()).isZero();
        assertThat(gate.queued()).isZero();
    }

    @Test
    void queuedStartsAreAdmittedInArrivalOrderAndStopsGoFirst() throws Exception {
        AdmissionGate gate = new AdmissionGate(1);
        AdmissionGate.Permit holder = gate.enter(AdmissionGate.Kind.START, LONG);
        List<String> order = new CopyOnWriteArrayList<>();
        List<Future<?>> waiting = new ArrayList<>();
        for (String name : List.of("start-1", "start-2", "start-3", "stop-1")) {
            AdmissionGate.Kind kind = name.startsWith("stop") ? AdmissionGate.Kind.STOP : AdmissionGate.Kind.START;
            int before = gate.queued();
            waiting.add(threads.submit(() -> {
                try (AdmissionGate.Permit p = gate.enter(kind, LONG)) {
                    assertThat(p.waited()).isTrue();
                    order.add(name);
                }
                return null;
            }));
            await().until(() -> gate.queued() == before + 1); // joined the queue before the next arrives
        }
        holder.close();
        for (Future<?> f : waiting) {
            f.get();
        }
        assertThat(order).containsExactly("stop-1", "start-1", "start-2", "start-3");
    }

    @Test
    void aWaiterWhoseDeadlinePassesLeavesTheQueueAndTheSlotGoesToTheNext() throws Exception {
        AdmissionGate gate = new AdmissionGate(1);
        AdmissionGate.Permit holder = gate.enter(AdmissionGate.Kind.START, LONG);
        assertThat(gate.enter(AdmissionGate.Kind.START, Duration.ofMillis(50))).as("deadline passed while queued").isNull();
        assertThat(gate.queued()).isZero();
        Future<Boolean> next = threads.submit(() -> {
            try (AdmissionGate.Permit p = gate.enter(AdmissionGate.Kind.START, LONG)) {
                return p != null;
            }
        });
        await().until(() -> gate.queued() == 1);
        holder.close();
        assertThat(next.get()).isTrue();
        assertThat(gate.inFlight()).isZero();
    }

    @Test
    void anInterruptedWaiterLeavesTheQueueAndKeepsItsInterrupt() throws Exception {
        AdmissionGate gate = new AdmissionGate(1);
        AdmissionGate.Permit holder = gate.enter(AdmissionGate.Kind.START, LONG);
        Thread.currentThread().interrupt();
        assertThatThrownBy(() -> gate.enter(AdmissionGate.Kind.START, LONG)).isInstanceOf(InterruptedException.class);
        assertThat(Thread.interrupted()).as("the caller's interrupt, still set").isTrue();
        assertThat(gate.queued()).isZero();
        holder.close();
        holder.close(); // idempotent: the slot is handed back once
        assertThat(gate.inFlight()).isZero();
        try (AdmissionGate.Permit p = gate.enter(AdmissionGate.Kind.START, Duration.ZERO)) {
            assertThat(p).as("a free gate admits even with no time to wait").isNotNull();
            assertThat(p.waited()).isFalse();
        }
    }

    @Test
    void aBoundBelowOneIsRefused() {
        assertThatThrownBy(() -> DockerDriver.builder().maxEngineOperations(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxEngineOperations 0 must be at least 1");
    }
}
