package dev.devs.sandbox.tck;

import static dev.devs.sandbox.SandboxLifecycleEvent.Type.READY;
import static dev.devs.sandbox.SandboxLifecycleEvent.Type.STARTING;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.devs.sandbox.Sandbox;
import dev.devs.sandbox.SandboxException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The contract's checks of a provider's close and its listeners (see {@link SandboxDriverContract}): close with starts
 * in flight and live sandboxes, close from inside a listener, an idempotent close, and a listener removed mid-run.
 */
final class CloseChecks {

    static void closeWithStartsInFlightAndLiveSandboxesLeavesNothing(SandboxDriverContract c) throws Exception {
        Sandbox live = c.provider.start(c.runningSpec());
        int inFlight = 3;
        CountDownLatch started = new CountDownLatch(inFlight);
        c.provider.addListener(e -> {
            if (e.type() == STARTING) {
                started.countDown();
            }
        });
        List<CompletableFuture<Sandbox>> starts = new ArrayList<>();
        for (int i = 0; i < inFlight; i++) {
            starts.add(c.provider.startAsync(c.runningSpec()));
        }
        assertThat(started.await(Patience.seconds(60).toMillis(), TimeUnit.MILLISECONDS)).as("all starts began").isTrue();

        c.provider.close();

        assertThat(live.isAlive()).isFalse();
        assertThat(starts).hasSize(inFlight);
        // close() waited for the starts themselves; their futures complete right after, on the executor's threads.
        CompletableFuture.allOf(starts.toArray(CompletableFuture[]::new)).handle((v, e) -> null).get(Patience.seconds(60).toMillis(), TimeUnit.MILLISECONDS);
        for (CompletableFuture<Sandbox> start : starts) {
            if (!start.isCompletedExceptionally()) {
                assertThat(start.join().isAlive()).as("a sandbox that finished starting before close is stopped by it").isFalse();
            }
        }
        c.assertEverySandboxEnded(1 + inFlight);
        assertThatThrownBy(() -> c.provider.start(c.runningSpec())).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
    }

    static void closeFromInsideAListenerStopsEverything(SandboxDriverContract c) throws Exception {
        AtomicReference<Throwable> closeFailure = new AtomicReference<>();
        CountDownLatch closed = new CountDownLatch(1);
        c.provider.addListener(e -> {
            if (e.type() == READY) {
                try {
                    c.provider.close();
                } catch (Throwable t) {
                    closeFailure.set(t);
                } finally {
                    closed.countDown();
                }
            }
        });

        assertThatThrownBy(() -> c.provider.start(c.runningSpec())).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");

        assertThat(closed.await(Patience.seconds(60).toMillis(), TimeUnit.MILLISECONDS)).isTrue();
        assertThat(closeFailure.get()).isNull();
        c.assertEverySandboxEnded(1);
    }

    static void listenerRemovedMidRunSeesTheWholeStartItWasSubscribedFor(SandboxDriverContract c) throws Exception {
        RecordingListener removed = new RecordingListener();
        AtomicReference<AutoCloseable> subscription = new AtomicReference<>();
        subscription.set(c.provider.addListener(e -> {
            removed.onEvent(e);
            if (e.type() == STARTING) {
                close(subscription.get());
            }
        }));

        Sandbox first = c.provider.start(c.runningSpec());
        first.stop();
        Sandbox second = c.provider.start(c.runningSpec());

        assertThat(removed.typesOf(first.id())).containsExactly(STARTING, READY);
        assertThat(removed.eventsOf(second.id())).isEmpty();
        assertThat(c.events.typesOf(second.id())).containsExactly(STARTING, READY);
    }

    static void closeIsIdempotentForSandboxProviderAndDriver(SandboxDriverContract c) throws Exception {
        Sandbox sandbox = c.provider.start(c.runningSpec());

        sandbox.close();
        sandbox.close();
        assertThat(c.events.typesOf(sandbox.id())).hasSize(3);
        c.provider.close();
        c.provider.close();
        c.faults.delegate.close(); // the c.provider closed it once already

        c.assertNothingLeftBehind(sandbox.id());
    }

    private static void close(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            throw new SandboxException("unsubscribing failed", e);
        }
    }

    private CloseChecks() {
    }
}
