package dev.devs.sandbox;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The events of a pool's hand-outs, emitted through the pool's provider so that every listener of the provider
 * sees them: a claim served is {@code Starting} then {@code Ready} (start type pooled) for the sandbox handed
 * out; a claim that got none is {@code Starting} then {@code Failed} under a fresh id.
 */
final class PoolHandOuts {
    private PoolHandOuts() {
    }

    /**
     * Hands a ready sandbox of a pool out to one claim: the sandbox becomes the claim (same id, same resources,
     * start type pooled, timed from {@code acquiredAt}/{@code t0}), and Starting then Ready are emitted for it.
     *
     * @throws IllegalStateException if it was stopped meanwhile (the provider is closing)
     */
    static Sandbox handOut(SandboxProvider provider, Sandbox pooled, SandboxSpec claimSpec, Instant acquiredAt, long t0,
                           Map<String, Duration> phases, Map<String, String> poolAttributes, PoolClaim claim) {
        SandboxLifecycleListener subscribers = provider.subscribers();
        Map<String, String> attributes = new LinkedHashMap<>(pooled.attributes());
        attributes.putAll(poolAttributes);
        Instant readyAt = provider.clockInstant();
        Duration duration = Duration.ofNanos(System.nanoTime() - t0);
        Sandbox claimed = pooled.claimed(claimSpec, acquiredAt, readyAt, duration, phases, attributes, claim);
        if (!provider.replaceLive(pooled, claimed)) {
            throw new IllegalStateException("sandbox " + pooled.id() + " was stopped before it could be handed out");
        }
        subscribers.onEvent(new SandboxLifecycleEvent.Starting(claimed.id(), provider.driverName(), acquiredAt));
        subscribers.onEvent(claimed.ready());
        if (provider.isClosed()) {
            provider.stop(claimed);
            throw new IllegalStateException("provider was closed while sandbox " + claimed.id() + " was handed out; it has been stopped");
        }
        return claimed;
    }

    /** A pooled claim that got no sandbox: Starting then Failed under a new id, and the error to throw. */
    static SandboxStartException failPooled(SandboxProvider provider, Instant acquiredAt, long t0, Map<String, String> poolAttributes,
                                     Function<String, SandboxStartException> error) {
        SandboxLifecycleListener subscribers = provider.subscribers();
        String id = SandboxStart.newSandboxId();
        SandboxStartException e = error.apply(id);
        subscribers.onEvent(new SandboxLifecycleEvent.Starting(id, provider.driverName(), acquiredAt));
        subscribers.onEvent(new SandboxLifecycleEvent.Failed(id, provider.driverName(), Optional.of(StartType.POOLED), provider.clockInstant(),
                acquiredAt, Duration.ofNanos(System.nanoTime() - t0), Map.of(), poolAttributes, e));
        return e;
    }
}
