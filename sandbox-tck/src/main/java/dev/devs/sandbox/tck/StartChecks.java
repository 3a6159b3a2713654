package dev.devs.sandbox.tck;

import static dev.devs.sandbox.SandboxLifecycleEvent.Type.FAILED;
import static dev.devs.sandbox.SandboxLifecycleEvent.Type.READY;
import static dev.devs.sandbox.SandboxLifecycleEvent.Type.STARTING;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.devs.sandbox.ExecResult;
import dev.devs.sandbox.Sandbox;
import dev.devs.sandbox.SandboxLifecycleEvent;
import dev.devs.sandbox.SandboxStartException;
import dev.devs.sandbox.SandboxTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The contract's checks of a start (see {@link SandboxDriverContract}): the event order of a start that succeeds, fails,
 * is rejected, is interrupted or cannot become ready, and that a start that did not succeed leaves nothing.
 */
final class StartChecks {

    static void startEmitsStartingThenReadyAndTheSandboxRuns(SandboxDriverContract c) throws Exception {
        Sandbox sandbox = c.provider.start(c.runningSpec());

        assertThat(c.events.typesOf(sandbox.id())).containsExactly(STARTING, READY);
        SandboxLifecycleEvent.Starting starting = c.events.get(0, SandboxLifecycleEvent.Starting.class);
        SandboxLifecycleEvent.Ready ready = c.events.get(1, SandboxLifecycleEvent.Ready.class);
        assertThat(ready.driver()).isEqualTo(c.provider.driverName()).isEqualTo(starting.driver());
        assertThat(ready.provisioningStartedAt()).isEqualTo(starting.provisioningStartedAt());
        assertThat(ready.provisioningReadyAt()).isAfterOrEqualTo(ready.provisioningStartedAt());
        assertThat(ready.duration()).isPositive().isEqualTo(sandbox.provisioningDuration());
        assertThat(ready.startType()).isEqualTo(sandbox.startType());
        assertThat(sandbox.isAlive()).isTrue();
        ExecResult result = sandbox.exec(c.execCommand(), Patience.seconds(30));
        assertThat(result.exitCode()).as("exit code of %s", c.execCommand()).isZero();
        assertThat(result.stdout().trim()).isEqualTo(c.execOutput());
    }

    static void failedStartEmitsStartingThenFailedAndLeavesNothing(SandboxDriverContract c) throws Exception {
        assertThatThrownBy(() -> c.provider.start(c.failingSpec())).isInstanceOf(SandboxStartException.class);

        assertThat(c.events.types()).containsExactly(STARTING, FAILED);
        SandboxLifecycleEvent.Failed failed = c.events.last(SandboxLifecycleEvent.Failed.class);
        assertThat(failed.error().sandboxId()).isEqualTo(failed.sandboxId());
        assertThat(failed.error().getMessage()).as("a failure names what went wrong").isNotBlank();
        assertThat(c.provider.liveSandboxes()).isEmpty();
        c.assertNothingLeftBehind(failed.sandboxId());
    }

    static void rejectedSpecThrowsBeforeAnyEventAndLeavesNothing(SandboxDriverContract c) throws Exception {
        assertThatThrownBy(() -> c.provider.start(c.rejectedSpec())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageNotContaining("null");

        assertThat(c.events.events()).isEmpty();
        assertThat(c.provider.liveSandboxes()).isEmpty();
        c.assertNothingLeftOfSession(c.provider.sessionId());
    }

    static void interruptedStartFailsKeepsTheInterruptAndLeavesNothing(SandboxDriverContract c) throws Exception {
        // Listeners run on the caller's thread: interrupting it on STARTING interrupts the start itself, at a
        // moment that does not depend on timing.
        c.provider.addListener(e -> {
            if (e.type() == STARTING) {
                Thread.currentThread().interrupt();
            }
        });

        boolean interruptedAfter;
        try {
            assertThatThrownBy(() -> c.provider.start(c.runningSpec())).isInstanceOf(SandboxStartException.class);
        } finally {
            interruptedAfter = Thread.interrupted();
        }

        assertThat(interruptedAfter).as("the caller's interrupt is kept, never eaten").isTrue();
        assertThat(c.events.types()).containsExactly(STARTING, FAILED);
        assertThat(c.provider.liveSandboxes()).isEmpty();
        c.assertNothingLeftBehind(c.events.last().sandboxId());
    }

    static void aStartThatCannotBecomeReadyFailsWithATimeoutAtItsStartupTimeout(SandboxDriverContract c) throws Exception {
        Duration startupTimeout = c.expiringStartupTimeout();
        CompletableFuture<Sandbox> start = c.provider.startAsync(c.neverReadySpec(startupTimeout));

        // The bound is generous: what is checked is that the start ends by itself, and how.
        Throwable thrown = catchThrowable(() -> start.get(startupTimeout.plus(c.patience()).toMillis(), TimeUnit.MILLISECONDS));

        assertThat(thrown).as("the start ended within its startup timeout plus %s", c.patience()).isInstanceOf(ExecutionException.class);
        assertThat(thrown.getCause()).isInstanceOf(SandboxTimeoutException.class);
        assertThat(((SandboxTimeoutException) thrown.getCause()).timeout()).isEqualTo(startupTimeout);
        assertThat(c.events.types()).containsExactly(STARTING, FAILED);
        assertThat(c.events.last(SandboxLifecycleEvent.Failed.class).error()).isSameAs(thrown.getCause());
        assertThat(c.provider.liveSandboxes()).isEmpty();
        c.assertNothingLeftBehind(c.events.last().sandboxId());
    }

    private StartChecks() {
    }
}
