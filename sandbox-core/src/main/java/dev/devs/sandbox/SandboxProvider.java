package dev.devs.sandbox;

import dev.devs.sandbox.internal.DaemonThreads;
import dev.devs.sandbox.spi.SandboxDriver;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts and stops sandboxes with one {@link SandboxDriver}, and tells its listeners about every step
 * under the contract written on {@link SandboxLifecycleEvent}. Thread-safe; starts may run concurrently.
 *
 * <p>The provider owns its driver: {@link #close()} stops every live sandbox, then closes the driver.
 * Its {@link #sessionId()} labels every resource it creates; by default it is one id per JVM
 * ({@link #JVM_SESSION_ID}), so that whatever a dead JVM left behind can be found and removed.
 *
 * <pre>{@code
 * try (SandboxProvider provider = SandboxProvider.builder(new DockerDriver()).listener(reporter).build();
 *      Sandbox sb = provider.start(SandboxSpec.builder("busybox:local").command("sleep", "3600").build())) {
 *     System.out.println(sb.exec("uname", "-a").stdout());
 * }
 * }</pre>
 */
public final class SandboxProvider implements AutoCloseable {

    /** The session id shared by every provider of this JVM that does not set its own. */
    public static final String JVM_SESSION_ID = UUID.randomUUID().toString();

    private static final Logger log = LoggerFactory.getLogger(SandboxProvider.class);
    /** How often {@link #close()} tries to release a sandbox whose stop failed. */
    public static final int CLOSE_RETRIES = 3;
    private static final Duration CLOSE_RETRY_PAUSE = Duration.ofMillis(250);

    private final SandboxDriver driver;
    private final Clock clock;
    private final String sessionId;
    private final ListenerSet listeners;
    private final Map<String, Sandbox> live = new ConcurrentHashMap<>();
    /** Sandboxes whose stop failed to release them: a later stop(), and close(), try again. */
    private final ReleaseRetries unreleased = new ReleaseRetries();
    private final ExecutorService executor;
    private final boolean ownsExecutor;
    private final StartGate starts = new StartGate();
    /** Snapshots this provider made and nobody removed yet; close() removes those not kept. */
    private final Map<String, SandboxSnapshot> snapshots = new ConcurrentHashMap<>();
    private final SandboxStart startSteps;

    private SandboxProvider(Builder b) {
        this.driver = b.driver;
        this.clock = b.clock;
        this.sessionId = b.sessionId;
        this.listeners = new ListenerSet(b.listeners);
        this.startSteps = new SandboxStart(this, driver, clock, sessionId);
        if (b.executor != null) {
            this.executor = b.executor;
            this.ownsExecutor = false;
        } else {
            this.executor = Executors.newCachedThreadPool(DaemonThreads.named("sandbox-" + driver.name() + "-start"));
            this.ownsExecutor = true;
        }
        if (b.shutdownHook) {
            ShutdownHook.register(this);
        }
        if (b.sweep) {
            executor.execute(() -> OrphanSweep.run(driver, starts::isClosed));
        }
    }

    /** A builder for a provider that owns {@code driver}. */
    public static Builder builder(SandboxDriver driver) {
        return new Builder(driver);
    }

    /** A provider with default settings that owns {@code driver}. */
    public static SandboxProvider of(SandboxDriver driver) {
        return builder(driver).build();
    }

    /** The driver's name. */
    public String driverName() {
        return driver.name();
    }

    /** The id that labels every resource this provider's driver creates. */
    public String sessionId() {
        return sessionId;
    }

    /**
     * Subscribes a listener; the returned handle unsubscribes it. The listener sees the events of starts
     * and stops that begin after this call, and none of a start already in flight: the listeners of a start
     * are fixed when it begins, so each of them sees STARTING and its READY or FAILED, or neither.
     */
    public AutoCloseable addListener(SandboxLifecycleListener listener) {
        return listeners.add(listener);
    }

    /** The sandboxes started and not yet stopped, in no particular order. */
    public List<Sandbox> liveSandboxes() {
        return List.copyOf(live.values());
    }

    /**
     * Provisions a sandbox and blocks until it is ready.
     *
     * <p>Emits STARTING, then READY or FAILED (see {@link SandboxLifecycleEvent}). A spec the driver rejects
     * throws {@link IllegalArgumentException} before any event.
     *
     * @throws IllegalArgumentException  the driver rejected the spec; nothing was created
     * @throws SandboxStartException     the start failed; FAILED was emitted and nothing is left behind
     * @throws IllegalStateException     the provider is closed
     */
    public Sandbox start(SandboxSpec spec) {
        return start(spec, null);
    }

    // subscribers: null for the listeners now; NONE for a warm-up, which no listener sees.
    private Sandbox start(SandboxSpec spec, SandboxLifecycleListener subscribers) {
        Objects.requireNonNull(spec, "spec");
        ensureOpen();
        driver.validate(spec);
        CompletableFuture<Void> inFlight = starts.register();
        try {
            return doStart(spec, subscribers != null ? subscribers : listeners.snapshot(), ctx -> driver.start(spec, ctx));
        } finally {
            starts.finish(inFlight);
        }
    }

    /**
     * Starts a new sandbox from a snapshot this provider made: its processes and in-memory files are those of the
     * checkpoint's moment, its spec the checkpointed sandbox's. It is a sandbox like any other (its own owner link,
     * maximum lifetime counted from now, isolation, stop and cleanup), independent of the snapshot's other forks, with
     * start type {@link StartType#FORKED} on its events. Emits STARTING, then READY or FAILED.
     *
     * @throws IllegalArgumentException      the snapshot was made by another provider, or has been removed
     * @throws SandboxCapabilityException   the driver has no {@link SandboxCapability#SNAPSHOT}, or cannot fork this
     *                                       snapshot here (nothing was done)
     * @throws SandboxStartException         the fork failed; FAILED was emitted and nothing is left behind
     * @throws IllegalStateException         the provider is closed
     */
    public Sandbox fork(SandboxSnapshot snapshot) {
        Objects.requireNonNull(snapshot, "snapshot");
        ensureOpen();
        snapshot.requireForkableBy(this, "fork it there");
        PauseAndCheckpoint.requireCanFork(driver, snapshot);
        CompletableFuture<Void> inFlight = starts.register();
        try {
            return doStart(snapshot.spec(), listeners.snapshot(), ctx -> {
                SandboxDriver.Handle h = driver.fork(snapshot.spec(), snapshot.checkpoint(), ctx);
                ctx.startType(StartType.FORKED);
                return h;
            });
        } finally {
            starts.finish(inFlight);
        }
    }

    // subscribers: fixed when the start begins, so that a listener added or removed meanwhile sees all of it or nothing.
    private Sandbox doStart(SandboxSpec spec, SandboxLifecycleListener subscribers, SandboxStart.DriverStart how) {
        Sandbox sandbox = startSteps.run(spec, subscribers, how);
        live.put(sandbox.id(), sandbox);
        subscribers.onEvent(sandbox.ready());
        if (starts.isClosed()) {
            // close() ran while this start was in flight and is waiting for it: stop what it made.
            stop(sandbox, subscribers == SandboxLifecycleListener.NONE ? subscribers : null);
            throw new IllegalStateException("provider was closed while sandbox " + sandbox.id() + " was starting; it has been stopped");
        }
        return sandbox;
    }

    /**
     * Starts one sandbox of {@code spec} and stops it again, without emitting any event, so that the first start
     * the listeners see does not pay this JVM's class loading and the driver's connection set-up (a first start
     * in a fresh JVM is otherwise 2-3 times the steady one). Call it once, where the host application gets
     * ready (before it reports itself healthy), with the spec it will start most; it costs about one start and
     * one stop. Starts made meanwhile are unaffected. Optional: nothing else depends on it.
     *
     * @return how long the warm-up took (start and stop)
     * @throws IllegalArgumentException the driver rejected the spec; nothing was created
     * @throws SandboxStartException    the warm-up start failed (as {@link #start} would); nothing is left behind
     * @throws IllegalStateException    the provider is closed
     */
    public Duration warmUp(SandboxSpec spec) {
        long t0 = System.nanoTime();
        Sandbox sandbox = start(spec, SandboxLifecycleListener.NONE);
        stop(sandbox, SandboxLifecycleListener.NONE);
        return Duration.ofNanos(System.nanoTime() - t0);
    }

    /**
     * {@link #start(SandboxSpec)} on the provider's executor. The future completes with the ready sandbox,
     * or exceptionally with the exception {@code start} would have thrown.
     */
    public CompletableFuture<Sandbox> startAsync(SandboxSpec spec) {
        Objects.requireNonNull(spec, "spec");
        ensureOpen();
        return CompletableFuture.supplyAsync(() -> start(spec), executor);
    }

    /**
     * Stops a sandbox: asks it to exit, waits up to its spec's {@link SandboxSpec#stopGracePeriod()}, kills it
     * if needed, and removes everything its start created. Emits STOPPED or KILLED exactly once. Idempotent:
     * a later (or concurrent) call waits for the first to finish and returns its outcome without emitting. If
     * the first could not release the sandbox (it threw, and its KILLED event carries the error), a later call asks
     * the driver to release it again, and {@link #close()} does too: no failure is cached for good.
     *
     * @return the outcome of the (first) stop
     * @throws IllegalArgumentException if the sandbox belongs to another provider
     * @throws SandboxException          if the driver could not release it (the event is still emitted, with the error)
     */
    public StopOutcome stop(Sandbox sandbox) {
        return stop(sandbox, null);
    }

    // subscribers: null for the listeners at the end of the stop.
    private StopOutcome stop(Sandbox sandbox, SandboxLifecycleListener subscribers) {
        Objects.requireNonNull(sandbox, "sandbox");
        if (sandbox.provider() != this) {
            throw new IllegalArgumentException("sandbox " + sandbox.id() + " was started by another provider");
        }
        if (!sandbox.stopClaimed.compareAndSet(false, true)) {
            try {
                return sandbox.stopped.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SandboxException("waiting for sandbox " + sandbox.id() + " to stop was interrupted", e);
            } catch (ExecutionException e) {
                // The first stop could not release it (engine down...): try again now, without a second event.
                return unreleased.retry(sandbox, e.getCause());
            }
        }
        live.remove(sandbox.id());
        return SandboxStop.run(sandbox, driver.name(), clock, subscribers != null ? subscribers : listeners.snapshot(), unreleased);
    }

    /** Takes the checkpoint of {@link Sandbox#checkpoint()}, then stops the sandbox, which ends with it. */
    SandboxSnapshot checkpoint(Sandbox sandbox) {
        ensureOpen();
        SandboxSnapshot snapshot = PauseAndCheckpoint.take(this, sandbox, driver.name(), clock);
        snapshots.put(snapshot.id(), snapshot);
        PauseAndCheckpoint.stopQuietly(sandbox);
        return snapshot;
    }

    /** A snapshot was removed by its owner. */
    void forget(SandboxSnapshot snapshot) {
        snapshots.remove(snapshot.id(), snapshot);
    }

    /** Snapshots this provider made that nobody has removed, kept ones included. */
    public List<SandboxSnapshot> snapshots() {
        return List.copyOf(snapshots.values());
    }

    /**
     * Stops every live sandbox, waits for starts in flight (bounded by their startup timeouts; each stops the
     * sandbox it made, which emits READY then STOPPED or KILLED, and throws {@link IllegalStateException}), removes the
     * snapshots it made that were neither removed nor {@link SandboxSnapshot#keep() kept}, then
     * retries, up to {@value #CLOSE_RETRIES} times with a short pause, every sandbox whose stop could not release it
     * (this close's or an earlier one's), then closes the driver and the provider's own executor. Idempotent.
     * Failures to stop one sandbox are logged and do not keep the others alive.
     */
    @Override
    public void close() {
        List<CompletableFuture<Void>> stops = starts.close();
        if (stops == null) {
            return;
        }
        for (Sandbox sandbox : live.values()) {
            // In parallel: stops are independent, and a user closing 20 sandboxes should not wait 20 grace periods.
            stops.add(CompletableFuture.runAsync(() -> {
                try {
                    stop(sandbox);
                } catch (RuntimeException e) {
                    log.warn("stopping sandbox {} on close failed", sandbox.id(), e);
                }
            }, executor));
        }
        try {
            CompletableFuture.allOf(stops.toArray(CompletableFuture[]::new)).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            log.warn("stopping sandboxes on close failed", e.getCause());
        }
        unreleased.retryAll(CLOSE_RETRIES, CLOSE_RETRY_PAUSE);
        PauseAndCheckpoint.removeUnkept(snapshots.values());
        ShutdownHook.unregister(this);
        try {
            driver.close();
        } finally {
            if (ownsExecutor) {
                executor.shutdown();
            }
        }
    }

    /** The provider's clock, for a pool's acquire time. */
    Instant clockInstant() {
        return clock.instant();
    }

    /** The executor of {@link #startAsync}, shared by a pool's {@code acquireAsync}. */
    ExecutorService asyncExecutor() {
        return executor;
    }

    /** The driver's check of a spec, for a pool's template; throws if the provider is closed. */
    void validate(SandboxSpec spec) {
        Objects.requireNonNull(spec, "spec");
        ensureOpen();
        driver.validate(spec);
    }

    /** The listeners now, fixed for one step (see {@link ListenerSet}). */
    SandboxLifecycleListener subscribers() {
        return listeners.snapshot();
    }

    /** Makes {@code claimed} the live sandbox in place of {@code pooled}; false if that one was stopped meanwhile. */
    boolean replaceLive(Sandbox pooled, Sandbox claimed) {
        return !pooled.stopClaimed.get() && live.replace(pooled.id(), pooled, claimed);
    }

    boolean isClosed() {
        return starts.isClosed();
    }

    private void ensureOpen() {
        starts.requireOpen();
    }

    /** Builder for {@link SandboxProvider}. */
    public static final class Builder {
        private final SandboxDriver driver;
        private Clock clock = Clock.systemUTC();
        private String sessionId = JVM_SESSION_ID;
        private final List<SandboxLifecycleListener> listeners = new ArrayList<>();
        private ExecutorService executor;
        private boolean shutdownHook = true;
        private boolean sweep = true;

        private Builder(SandboxDriver driver) {
            this.driver = Objects.requireNonNull(driver, "driver");
        }

        /** Clock for event timestamps (durations always use the monotonic clock). Default: system UTC. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** Session id for resource labels. Default: {@link #JVM_SESSION_ID}. */
        public Builder sessionId(String sessionId) {
            Objects.requireNonNull(sessionId, "sessionId");
            if (!sessionId.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")) {
                throw new IllegalArgumentException("sessionId '" + sessionId
                        + "' is not valid: use 1 to 128 letters, digits, '_', '.' or '-', starting with a letter or digit");
            }
            this.sessionId = sessionId;
            return this;
        }

        /** Adds a listener (see {@link SandboxLifecycleListener} for its obligations). */
        public Builder listener(SandboxLifecycleListener listener) {
            listeners.add(Objects.requireNonNull(listener, "listener"));
            return this;
        }

        /** Executor for {@link #startAsync}; the caller keeps ownership. Default: the provider's own daemon pool. */
        public Builder executor(ExecutorService executor) {
            this.executor = Objects.requireNonNull(executor, "executor");
            return this;
        }

        /**
         * Whether a JVM shutdown hook closes this provider, stopping its sandboxes (bounded), if it is still open
         * when the JVM exits ({@code System.exit}, SIGTERM). Default true.
         */
        public Builder shutdownHook(boolean enabled) {
            this.shutdownHook = enabled;
            return this;
        }

        /**
         * Whether the new provider asks its driver, in the background, to remove what provably dead owners left
         * ({@link SandboxDriver#removeOrphans()}). Default true; a failure is logged and leaves the provider usable.
         */
        public Builder sweepOrphans(boolean enabled) {
            this.sweep = enabled;
            return this;
        }

        public SandboxProvider build() {
            return new SandboxProvider(this);
        }
    }
}
