package dev.devs.sandbox;

import dev.devs.sandbox.internal.DaemonThreads;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps ready sandboxes of one template so that a claim gets one in milliseconds. Thread-safe.
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li>The pool starts sandboxes through its {@link SandboxProvider} ("refills"), which emit their own cold or
 *       warm events; it keeps at least {@link Builder#minIdle} idle and never has more than
 *       {@link Builder#maxSize} sandboxes (idle + starting + handed out), however many threads acquire.</li>
 *   <li>{@link #acquire} hands out an idle sandbox, or waits for a refill up to the given wait. A hand-out emits
 *       {@code Starting} then {@code Ready} with start type {@code pooled} for the sandbox handed out, timed from
 *       the {@code acquire} call to the hand-out, waiting and customisation included; a claim that fails emits
 *       {@code Starting} then {@code Failed}. The claimed sandbox's replacement starts right after its hand-out
 *       (customisation applied), so the two never compete for the engine.</li>
 *   <li>One claimant per sandbox, ever: a handed-out sandbox never returns to the pool; stopping it destroys it
 *       and the pool refills. Nothing of one claim can leak into the next.</li>
 *   <li>A {@link PoolClaim} (extra env, files, working directory) is applied at hand-out, so a customised claim
 *       is still a pooled start. What cannot change after start (image, command, limits, network, user...) is
 *       the pool's key: {@link #acquire(SandboxSpec, Duration)} refuses a request that differs there, naming the
 *       field.</li>
 *   <li>After {@link Builder#failureThreshold} refills in a row failed, the pool stops refilling and retries
 *       one at a time after an exponential back-off (capped at {@link Builder#maxBackoff}); meanwhile an
 *       {@code acquire} with no idle sandbox fails at once with the last refill error instead of waiting. One
 *       successful refill closes the breaker.</li>
 *   <li>{@link #close()} stops the idle sandboxes and the refills in flight and waits for them; handed-out
 *       sandboxes stay their claimants' (the provider's {@code close()} stops them).</li>
 * </ul>
 * Idle sandboxes are checked for life in the background, once a second, not on the hand-out path (which a
 * Docker inspect would slow by milliseconds); one that died meanwhile is replaced.
 */
public final class SandboxPool implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SandboxPool.class);
    private static final long TICK_MILLIS = 1000;

    private final SandboxProvider provider;
    private final SandboxSpec template;
    /** The snapshot refills fork, or null for refills started from the template. */
    private final SandboxSnapshot snapshot;
    private final String name;
    private final Duration idleTimeToLive;
    private final Duration maxAge;

    private final PoolInventory inventory;
    /** Handed-out sandboxes and when their claim was made (monotonic), for maxAge. */
    private final Map<Sandbox, Long> claims = new ConcurrentHashMap<>();
    private final ExecutorService refills;
    private final ScheduledExecutorService ticker;

    private SandboxPool(Builder b) {
        this.provider = b.provider;
        this.template = b.template;
        this.snapshot = b.snapshot;
        this.name = b.name;
        this.idleTimeToLive = b.idleTimeToLive;
        this.maxAge = b.maxAge;
        this.inventory = new PoolInventory(b.minIdle, b.maxSize, b.refillConcurrency, b.failureThreshold, b.maxBackoff);
        this.refills = Executors.newFixedThreadPool(b.refillConcurrency, DaemonThreads.named("sandbox-pool-" + name + "-refill"));
        this.ticker = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("sandbox-pool-" + name + "-tick"));
        ticker.scheduleWithFixedDelay(this::maintain, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
        launch(inventory.planRefills());
    }

    /**
     * A builder of a pool of sandboxes started by {@code provider} from {@code template}. The template is checked
     * by the provider's driver when the pool is built.
     */
    public static Builder builder(SandboxProvider provider, SandboxSpec template) {
        return new Builder(provider, template, null);
    }

    /**
     * A builder of a pool whose refills are forks of {@code snapshot} ({@link SandboxProvider#fork}, start type
     * {@link StartType#FORKED} on their events); its template is the snapshot's spec. Claims are handed out as from any
     * pool ({@link StartType#POOLED}). The snapshot must stay until the pool is closed.
     *
     * @throws IllegalArgumentException if the snapshot was made by another provider or has been removed
     */
    public static Builder builder(SandboxProvider provider, SandboxSnapshot snapshot) {
        Objects.requireNonNull(snapshot, "snapshot");
        snapshot.requireForkableBy(provider, "build the pool on the provider that made it");
        return new Builder(provider, snapshot.spec(), snapshot);
    }

    /** The pool's name, as on its events ({@code pool} attribute) and metrics. */
    public String name() {
        return name;
    }

    /** The spec every sandbox of the pool is started from. */
    public SandboxSpec template() {
        return template;
    }

    /** Hands out a sandbox as it is, waiting at most the template's startup timeout. */
    public Sandbox acquire() {
        return acquire(PoolClaim.NONE, template.startupTimeout());
    }

    /** Hands out a sandbox as it is, waiting at most {@code maxWait}. */
    public Sandbox acquire(Duration maxWait) {
        return acquire(PoolClaim.NONE, maxWait);
    }

    /**
     * Hands out a sandbox for a request written as a spec: its env entries beyond the template's become the
     * claim's env and its stop grace period applies; any other difference from the template is refused.
     *
     * @throws IllegalArgumentException naming the first field that differs from the template where a running
     *                                  sandbox cannot be changed (use a pool with that template instead)
     */
    public Sandbox acquire(SandboxSpec request, Duration maxWait) {
        return acquire(PoolKey.claimFor(template, request), maxWait, request.stopGracePeriod());
    }

    /**
     * Hands out a sandbox customised by {@code claim}, waiting at most {@code maxWait} for one to be idle.
     *
     * @throws SandboxTimeoutException             none was handed out within {@code maxWait}; the message names
     *                                             the pool's state (idle, starting, in use, last refill error)
     * @throws SandboxRuntimeUnavailableException  refills keep failing (the breaker is open): thrown at once, with
     *                                             the last refill error as cause
     * @throws SandboxStartException               the claim could not be applied (the sandbox was destroyed)
     * @throws IllegalStateException               the pool is closed
     */
    public Sandbox acquire(PoolClaim claim, Duration maxWait) {
        return acquire(claim, maxWait, template.stopGracePeriod());
    }

    /** {@link #acquire(PoolClaim, Duration)} on the pool's caller-free path: the future completes with the sandbox. */
    public CompletableFuture<Sandbox> acquireAsync(PoolClaim claim, Duration maxWait) {
        Objects.requireNonNull(claim, "claim");
        return CompletableFuture.supplyAsync(() -> acquire(claim, maxWait), provider.asyncExecutor());
    }

    /** {@link #acquire()} asynchronously. */
    public CompletableFuture<Sandbox> acquireAsync() {
        return acquireAsync(PoolClaim.NONE, template.startupTimeout());
    }

    private Sandbox acquire(PoolClaim claim, Duration maxWait, Duration stopGrace) {
        Objects.requireNonNull(claim, "claim");
        Objects.requireNonNull(maxWait, "maxWait");
        if (maxWait.isNegative() || maxWait.isZero()) {
            throw new IllegalArgumentException("maxWait " + maxWait + " is not positive: give the longest an acquire may wait, e.g. Duration.ofSeconds(5)");
        }
        long t0 = System.nanoTime();
        Instant acquiredAt = provider.clockInstant();
        PoolInventory.Taken taken = inventory.take(name, maxWait, t0 + maxWait.toNanos(), this::launch);
        if (taken.idle() == null) {
            throw PoolHandOuts.failPooled(provider, acquiredAt, t0, poolAttributes(), id -> taken.breakerOpen()
                    ? new SandboxRuntimeUnavailableException(id, taken.refusal(), taken.lastRefillError())
                    : new SandboxTimeoutException(id, maxWait, taken.refusal(), taken.lastRefillError()));
        }
        // The replacement starts once the claim is applied, not before: a refill and the claim's customisation share the
        // engine, and a WebContainer refill's new page held Chromium's DevTools answers back for 50-100 ms, the claim's
        // file write included (docs/decisions/0007-pool-refill-after-the-claim-and-hidden-pages.md). Its slot is
        // already counted as starting.
        try {
            return handOut(taken.idle().sandbox(), claim, stopGrace, acquiredAt, t0);
        } finally {
            launch(taken.refillsToLaunch());
        }
    }

    private Sandbox handOut(Sandbox sandbox, PoolClaim claim, Duration stopGrace, Instant acquiredAt, long t0) {
        Map<String, Duration> phases = new LinkedHashMap<>();
        long t1 = System.nanoTime();
        phases.put("wait", Duration.ofNanos(t1 - t0));
        SandboxSpec claimSpec = PoolKey.specFor(template, claim, stopGrace);
        Sandbox handedOut;
        try {
            if (!claim.files().isEmpty()) {
                sandbox.handle.writeFiles(claim.files(), claim.workingDir().orElse(null), Sandbox.DEFAULT_EXEC_TIMEOUT);
                phases.put("customize", Duration.ofNanos(System.nanoTime() - t1));
            }
            sandbox.handle.claimed();
            handedOut = PoolHandOuts.handOut(provider, sandbox, claimSpec, acquiredAt, t0, phases, poolAttributes(), claim);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw claimFailed(sandbox, acquiredAt, t0, "applying " + claim + " was interrupted", e);
        } catch (RuntimeException e) {
            throw claimFailed(sandbox, acquiredAt, t0, "applying " + claim + " to sandbox " + sandbox.id() + " of pool '" + name
                    + "' failed: " + e.getMessage(), e);
        }
        claims.put(handedOut, System.nanoTime());
        handedOut.stopped.whenComplete((outcome, error) -> released(handedOut));
        return handedOut;
    }

    private SandboxStartException claimFailed(Sandbox sandbox, Instant acquiredAt, long t0, String message, Exception cause) {
        stopQuietly(sandbox);
        released(null);
        return PoolHandOuts.failPooled(provider, acquiredAt, t0, poolAttributes(), id -> new SandboxStartException(id, message, cause));
    }

    private void released(Sandbox claim) {
        if (claim != null) {
            claims.remove(claim);
        }
        inventory.released();
        launch(inventory.planRefills());
    }

    private void launch(int n) {
        for (int i = 0; i < n; i++) {
            try {
                refills.execute(this::refillOne);
            } catch (RejectedExecutionException e) {
                inventory.refillCancelled(); // closed meanwhile: this refill will never run
            }
        }
    }

    private void refillOne() {
        Sandbox made = null;
        RuntimeException failure = null;
        try {
            made = snapshot == null ? provider.start(template) : provider.fork(snapshot);
        } catch (RuntimeException e) {
            failure = e;
        }
        if (failure == null) {
            try {
                made.handle.prepareForClaim();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // the pool is closing: refillSucceeded sees it and the sandbox is stopped
            } catch (RuntimeException e) {
                log.debug("pool '{}': preparing sandbox {} for claims failed; its claims take the slower path", name, made.id(), e);
            }
            if (!inventory.refillSucceeded(made)) {
                stopQuietly(made);
            }
        } else {
            Duration backoff = inventory.refillFailed(failure);
            if (backoff != null) {
                log.warn("pool '{}': refills keep failing, retrying in {} ms: {}", name, backoff.toMillis(), failure.getMessage());
                scheduleQuietly(backoff);
            }
        }
        launch(inventory.planRefills());
    }

    /** Once a second: replaces idle sandboxes that aged or died, stops claims past maxAge, and tops the pool up. */
    private void maintain() {
        List<Sandbox> retire = new ArrayList<>(inventory.removeAged(idleTimeToLive));
        // Liveness may cost an engine call: checked here, outside the lock, never on the hand-out path.
        for (PoolInventory.Idle i : inventory.idleNow()) {
            if (!i.sandbox().isAlive() && inventory.removeIdle(i)) {
                retire.add(i.sandbox());
            }
        }
        if (!maxAge.isZero()) {
            long now = System.nanoTime();
            claims.forEach((claim, since) -> {
                if (now - since > maxAge.toNanos()) {
                    log.info("pool '{}': sandbox {} passed its maxAge {}; stopping it", name, claim.id(), maxAge);
                    retire.add(claim);
                }
            });
        }
        retire.forEach(this::stopQuietly);
        launch(inventory.planRefills());
    }

    /**
     * The latest back-offs its refill breaker chose, oldest first (at most 32): package-private, so that tests
     * check the delays the pool chose rather than count starts inside a time window.
     */
    List<Duration> recentBackoffs() {
        return inventory.recentBackoffs();
    }

    /** The pool's counts now. */
    public PoolStats stats() {
        return inventory.stats(name);
    }

    private Map<String, String> poolAttributes() {
        return Map.of("pool", name);
    }

    private void scheduleQuietly(Duration delay) {
        try {
            ticker.schedule(this::maintain, delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closed: nothing left to wake
        }
    }

    private void stopQuietly(Sandbox sandbox) {
        try {
            sandbox.stop();
        } catch (RuntimeException e) {
            log.warn("pool '{}': stopping sandbox {} failed", name, sandbox.id(), e);
        }
    }

    /**
     * Stops the idle sandboxes and the refills in flight (interrupting their starts), and waits for both, bounded
     * by the template's startup timeout. Handed-out sandboxes are left to their claimants. Idempotent.
     */
    @Override
    public void close() {
        List<Sandbox> toStop = inventory.close();
        if (toStop == null) {
            return;
        }
        ticker.shutdownNow();
        refills.shutdownNow(); // our own threads: a start interrupted here fails and removes what it made
        toStop.parallelStream().forEach(this::stopQuietly);
        try {
            if (!refills.awaitTermination(template.startupTimeout().toMillis() + 10_000, TimeUnit.MILLISECONDS)) {
                log.warn("pool '{}': refills still running after close", name);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "SandboxPool[" + stats() + "]";
    }

    /** Builder for {@link SandboxPool}; every value is checked when the pool is built. */
    public static final class Builder {
        private final SandboxProvider provider;
        private final SandboxSpec template;
        private final SandboxSnapshot snapshot;
        private String name = "default";
        private int minIdle = 2;
        private int maxSize = 10;
        private int refillConcurrency = 2;
        private int failureThreshold = 3;
        private Duration idleTimeToLive = Duration.ofMinutes(10);
        private Duration maxAge = Duration.ZERO;
        private Duration maxBackoff = Duration.ofSeconds(30);

        private Builder(SandboxProvider provider, SandboxSpec template, SandboxSnapshot snapshot) {
            this.provider = Objects.requireNonNull(provider, "provider");
            this.template = Objects.requireNonNull(template, "template");
            this.snapshot = snapshot;
        }

        /** Name on events and metrics: letters, digits, '_', '.', '-'. Default {@code default}. */
        public Builder name(String name) { this.name = name; return this; }

        /** Idle sandboxes to keep ready. Default 2. */
        public Builder minIdle(int minIdle) { this.minIdle = minIdle; return this; }

        /** Most sandboxes at once: idle + starting + handed out. Default 10. */
        public Builder maxSize(int maxSize) { this.maxSize = maxSize; return this; }

        /** Most refills running at once. Default 2. */
        public Builder refillConcurrency(int n) { this.refillConcurrency = n; return this; }

        /** Refills failing in a row that open the breaker. Default 3. */
        public Builder failureThreshold(int n) { this.failureThreshold = n; return this; }

        /** How long a sandbox may stay idle before it is replaced; zero for ever. Default 10 minutes. */
        public Builder idleTimeToLive(Duration ttl) { this.idleTimeToLive = ttl; return this; }

        /** How long a handed-out sandbox may live before the pool stops it; zero (default) for no limit. */
        public Builder maxAge(Duration maxAge) { this.maxAge = maxAge; return this; }

        /** Cap of the breaker's exponential back-off (from 100 ms). Default 30 s. */
        public Builder maxBackoff(Duration maxBackoff) { this.maxBackoff = maxBackoff; return this; }

        /** Checks the settings and the template, and starts filling the pool. */
        public SandboxPool build() {
            Objects.requireNonNull(name, "name");
            if (!name.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")) {
                throw new IllegalArgumentException("pool name '" + name + "' is not valid: use 1 to 64 letters, digits, '_', '.' or '-'");
            }
            if (maxSize < 1) {
                throw new IllegalArgumentException("maxSize " + maxSize + " is not valid: a pool holds at least 1 sandbox");
            }
            if (minIdle < 0 || minIdle > maxSize) {
                throw new IllegalArgumentException("minIdle " + minIdle + " is not valid: use 0 to maxSize (" + maxSize + ")");
            }
            if (refillConcurrency < 1 || failureThreshold < 1) {
                throw new IllegalArgumentException("refillConcurrency " + refillConcurrency + " and failureThreshold " + failureThreshold
                        + " must be at least 1");
            }
            SpecValidation.notNegative("idleTimeToLive", idleTimeToLive);
            SpecValidation.notNegative("maxAge", maxAge);
            SpecValidation.notNegative("maxBackoff", maxBackoff);
            provider.validate(template);
            return new SandboxPool(this);
        }
    }
}
