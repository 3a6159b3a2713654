package dev.devs.sandbox;

import dev.devs.sandbox.internal.StartContexts;
import dev.devs.sandbox.spi.SandboxDriver;
import dev.devs.sandbox.spi.StartContext;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The driver's half of one start, for its provider: a new id, STARTING, the driver's start (or fork) under a fresh
 * {@link StartContext}, and on failure FAILED and the exception to throw, with nothing left behind. What comes after a
 * handle is ready (the live set, READY, a provider closed meanwhile) is the provider's.
 *
 * @param provider  the provider the sandboxes belong to
 * @param driver    its driver
 * @param clock     its clock, for the events' timestamps
 * @param sessionId its session id, for the driver's labels
 */
record SandboxStart(SandboxProvider provider, SandboxDriver driver, Clock clock, String sessionId) {

    private static final Logger log = LoggerFactory.getLogger(SandboxStart.class);

    /** What a start asks of the driver: a fresh start, or a fork. */
    interface DriverStart {
        SandboxDriver.Handle start(StartContext ctx) throws InterruptedException;
    }

    /**
     * Emits STARTING and runs {@code how}; returns the sandbox on its ready handle, its READY event made, not emitted.
     *
     * @throws SandboxStartException the start failed; FAILED was emitted to {@code subscribers}
     */
    Sandbox run(SandboxSpec spec, SandboxLifecycleListener subscribers, DriverStart how) {
        String id = newSandboxId();
        Instant startedAt = clock.instant();
        long t0 = System.nanoTime();
        subscribers.onEvent(new SandboxLifecycleEvent.Starting(id, driver.name(), startedAt));

        StartContext ctx = StartContexts.create(id, sessionId, t0, spec.startupTimeout());
        SandboxDriver.Handle handle;
        try {
            handle = how.start(ctx);
            if (handle == null) {
                throw new IllegalStateException("driver " + driver.name() + " returned no handle");
            }
            if (ctx.startType() == null) {
                // The contract needs a start type on READY; a driver that forgot has a bug, but the
                // sandbox is real, so release it rather than leak it.
                releaseQuietly(id, handle, spec);
                throw new IllegalStateException("driver " + driver.name() + " did not set a start type");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw failed(subscribers, id, startedAt, t0, ctx,
                    new SandboxStartException(id, "start of sandbox " + id + " was interrupted", e));
        } catch (SandboxStartException e) {
            throw failed(subscribers, id, startedAt, t0, ctx, e);
        } catch (RuntimeException | Error e) {
            throw failed(subscribers, id, startedAt, t0, ctx, new SandboxStartException(id,
                    "start of sandbox " + id + " with driver " + driver.name() + " failed: " + e, e));
        }
        Duration duration = Duration.ofNanos(System.nanoTime() - t0);
        SandboxLifecycleEvent.Ready ready = new SandboxLifecycleEvent.Ready(id, driver.name(), ctx.startType(), startedAt,
                clock.instant(), duration, ctx.phases(), ctx.attributes());
        return new Sandbox(provider, spec, ready, handle, ExecScope.NONE, new AtomicBoolean(), new CompletableFuture<>());
    }

    /** A new sandbox id, {@code sbx-} and 12 hex digits. */
    static String newSandboxId() {
        return newId("sbx");
    }

    /** {@code prefix-} and 12 hex digits: short enough for container names, 48 random bits are plenty per session. */
    static String newId(String prefix) {
        return String.format("%s-%012x", prefix, ThreadLocalRandom.current().nextLong() & 0xFFFF_FFFF_FFFFL);
    }

    private SandboxStartException failed(SandboxLifecycleListener subscribers, String id, Instant startedAt, long t0,
                                         StartContext ctx, SandboxStartException error) {
        Duration duration = Duration.ofNanos(System.nanoTime() - t0);
        subscribers.onEvent(new SandboxLifecycleEvent.Failed(id, driver.name(), Optional.ofNullable(ctx.startType()),
                clock.instant(), startedAt, duration, ctx.phases(), ctx.attributes(), error));
        return error;
    }

    private static void releaseQuietly(String id, SandboxDriver.Handle handle, SandboxSpec spec) {
        try {
            handle.stop(spec.stopGracePeriod(), new PhaseTimes());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.warn("releasing sandbox {} after a failed start failed", id, e);
        }
    }
}
