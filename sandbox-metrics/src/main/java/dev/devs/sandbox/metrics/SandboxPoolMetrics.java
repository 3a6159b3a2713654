package dev.devs.sandbox.metrics;

import dev.devs.sandbox.PoolStats;
import dev.devs.sandbox.SandboxLifecycleEvent;
import dev.devs.sandbox.SandboxLifecycleListener;
import dev.devs.sandbox.SandboxPool;
import dev.devs.sandbox.StartType;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.ToIntFunction;

/**
 * A {@link SandboxPool}'s state and hand-outs as Micrometer meters, in Prometheus conventions:
 * <ul>
 *   <li>gauge {@code sandbox.pool.sandboxes} (Prometheus {@code sandbox_pool_sandboxes}), tags {@code pool} and
 *       {@code state} = {@code idle} | {@code starting} | {@code in_use}: read from {@link SandboxPool#stats()} at
 *       scrape time;</li>
 *   <li>timer {@code sandbox.pool.handout.duration} ({@code sandbox_pool_handout_duration_seconds}, tags
 *       {@code pool}, {@code driver}) with a percentile histogram and extra buckets at
 *       {@link Builder#handoutBuckets} ({@link SandboxMetrics#DEFAULT_BUCKETS} unless set): the time from
 *       {@code acquire} to the hand-out, waiting included, as on the pooled READY event.</li>
 * </ul>
 * Register it as a listener on the pools' provider (for the timer) and bind it to the registries (for both).
 * Thread-safe; {@link #onEvent} does no I/O.
 */
public final class SandboxPoolMetrics implements MeterBinder, SandboxLifecycleListener {

    /** Gauge of a pool's sandboxes by state. */
    public static final String SANDBOXES_GAUGE = "sandbox.pool.sandboxes";
    /** Timer (histogram) of hand-outs; Prometheus adds {@code _seconds}. */
    public static final String HANDOUT_TIMER = "sandbox.pool.handout.duration";

    private final List<SandboxPool> pools;
    private final Duration[] handoutBuckets;
    private final List<MeterRegistry> registries = new CopyOnWriteArrayList<>();

    /** Meters for these pools, with the {@link SandboxMetrics#DEFAULT_BUCKETS}. */
    public SandboxPoolMetrics(SandboxPool... pools) {
        this(builder(pools));
    }

    private SandboxPoolMetrics(Builder builder) {
        this.pools = builder.pools;
        this.handoutBuckets = builder.handoutBuckets.toArray(Duration[]::new);
    }

    /** A builder of meters for these pools. */
    public static Builder builder(SandboxPool... pools) {
        return new Builder(List.of(pools));
    }

    /** Configures {@link SandboxPoolMetrics}; not thread-safe. */
    public static final class Builder {
        private final List<SandboxPool> pools;
        private List<Duration> handoutBuckets = SandboxMetrics.DEFAULT_BUCKETS;

        private Builder(List<SandboxPool> pools) {
            this.pools = pools;
        }

        /**
         * Extra bucket bounds of the hand-out timer, beside Micrometer's percentile-histogram buckets: a pool's
         * hand-out takes well under a millisecond when a sandbox is idle, so a host watching that may want bounds
         * below the defaults' 5 ms.
         *
         * @throws IllegalArgumentException if a bound is not positive
         */
        public Builder handoutBuckets(Duration... bounds) {
            this.handoutBuckets = SandboxMetrics.checked("handoutBuckets", bounds);
            return this;
        }

        /** The meters; bind them to registries and register them as a listener on the pools' provider. */
        public SandboxPoolMetrics build() {
            return new SandboxPoolMetrics(this);
        }
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Objects.requireNonNull(registry, "registry");
        for (SandboxPool pool : pools) {
            gauge(registry, pool, "idle", PoolStats::idle);
            gauge(registry, pool, "starting", PoolStats::starting);
            gauge(registry, pool, "in_use", PoolStats::inUse);
        }
        registries.add(registry);
    }

    private static void gauge(MeterRegistry registry, SandboxPool pool, String state, ToIntFunction<PoolStats> count) {
        Gauge.builder(SANDBOXES_GAUGE, pool, p -> count.applyAsInt(p.stats()))
                .description("Sandboxes of a pool by state: idle (ready), starting (refills in flight), in_use (handed out)")
                .tags("pool", pool.name(), "state", state)
                .register(registry);
    }

    /** Records a pooled hand-out; ignores every other event. */
    @Override
    public void onEvent(SandboxLifecycleEvent event) {
        if (event instanceof SandboxLifecycleEvent.Ready ready && ready.startType() == StartType.POOLED) {
            String pool = ready.attributes().getOrDefault("pool", "unknown");
            for (MeterRegistry registry : registries) {
                Timer.builder(HANDOUT_TIMER)
                        .description("Time from acquire to hand-out of a pooled sandbox, waiting and customisation included")
                        .tags("pool", pool, "driver", ready.driver())
                        .publishPercentileHistogram()
                        .serviceLevelObjectives(handoutBuckets)
                        .register(registry)
                        .record(ready.duration());
            }
        }
    }
}
