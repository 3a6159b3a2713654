package dev.devs.sandbox.metrics;

import dev.devs.sandbox.SandboxLifecycleEvent;
import dev.devs.sandbox.SandboxLifecycleListener;
import dev.devs.sandbox.StartType;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Sandbox latency as Micrometer meters, with the Prometheus names of docs/design.md "Prometheus":
 * <ul>
 *   <li>gauges {@code sandbox_provisioning_duration_p50_ms}, {@code _p95_ms}, {@code _p99_ms}, tags
 *       {@code driver}, {@code start_type} and {@code runtime}: the reporter's rolling-window percentiles (NaN while a
 *       series has no sample). Handy for a dashboard, but a percentile cannot be averaged across hosts,
 *       hence also:</li>
 *   <li>timer {@code sandbox.provisioning.duration} (Prometheus {@code sandbox_provisioning_duration_seconds},
 *       tags {@code driver}, {@code start_type}, {@code runtime}) with a percentile histogram and extra buckets at
 *       {@link Builder#provisioningBuckets} ({@link #DEFAULT_BUCKETS} unless set), so {@code histogram_quantile} works
 *       over any number of hosts and any time range, and "how many starts took over 10 s" is an exact count;</li>
 *   <li>timer {@code sandbox.provisioning.phase.duration} (Prometheus
 *       {@code sandbox_provisioning_phase_duration_seconds}, tags {@code driver}, {@code start_type},
 *       {@code phase}) with a percentile histogram: the per-phase durations of every READY and FAILED
 *       event ({@code pull}, {@code create}, {@code start}, {@code readiness}, {@code boot}, ...: the phase
 *       names are the driver's, a small fixed set per driver), so a tail can be traced to the phase that made
 *       it. A FAILED start whose start type was not decided yet is tagged {@code start_type="unknown"};</li>
 *   <li>counter {@code sandbox.provisioning.failures} ({@code sandbox_provisioning_failures_total}, tag
 *       {@code driver});</li>
 *   <li>timer {@code sandbox.stop.duration} ({@code sandbox_stop_duration_seconds}, tags {@code driver},
 *       {@code outcome} = {@code stopped} | {@code killed}), with extra buckets at {@link Builder#stopBuckets}
 *       ({@link #DEFAULT_BUCKETS} unless set).</li>
 * </ul>
 * No meter is tagged by sandbox id (unbounded cardinality). The {@code runtime} tag is the events' runtime
 * attribute (a handful of values: {@code runc}, {@code runsc}, {@code stackblitz}, ...), or {@value #DEFAULT_RUNTIME_TAG}
 * when the driver names none, so that a dashboard can always select on it.
 *
 * <pre>{@code
 * SandboxMetrics metrics = new SandboxMetrics(reporter);   // or SandboxMetrics.builder(reporter)...build()
 * metrics.bindTo(registry);
 * SandboxProvider provider = SandboxProvider.builder(driver).listener(reporter).listener(metrics).build();
 * }</pre>
 *
 * <p>Register it as a listener on the same providers as the reporter: the timers and the counter count what
 * this listener sees, and a series' gauges appear when this listener first sees the series (or at
 * {@link #bindTo} for series the reporter already has). Thread-safe; {@link #onEvent} does no I/O.
 */
public final class SandboxMetrics implements MeterBinder, SandboxLifecycleListener {

    /** Gauge: P50 of the rolling window, milliseconds. */
    public static final String P50_GAUGE = "sandbox_provisioning_duration_p50_ms";
    /** Gauge: P95 of the rolling window, milliseconds. */
    public static final String P95_GAUGE = "sandbox_provisioning_duration_p95_ms";
    /** Gauge: P99 of the rolling window, milliseconds. */
    public static final String P99_GAUGE = "sandbox_provisioning_duration_p99_ms";
    /** Timer (histogram) of provisioning durations; Prometheus adds {@code _seconds}. */
    public static final String PROVISIONING_TIMER = "sandbox.provisioning.duration";
    /** Timer (histogram) of per-phase provisioning durations; Prometheus adds {@code _seconds}. */
    public static final String PHASE_TIMER = "sandbox.provisioning.phase.duration";
    /** {@code start_type} of the phases of a FAILED start that had not decided its start type. */
    public static final String UNKNOWN_START_TYPE = "unknown";
    /** Counter of failed starts; Prometheus adds {@code _total}. */
    public static final String FAILURE_COUNTER = "sandbox.provisioning.failures";
    /** Timer of stop durations; Prometheus adds {@code _seconds}. */
    public static final String STOP_TIMER = "sandbox.stop.duration";

    /** The {@code runtime} tag of a series whose events name no runtime: the driver's default, whatever that is. */
    public static final String DEFAULT_RUNTIME_TAG = "default";

    private static final Map<String, Double> GAUGES = Map.of(P50_GAUGE, 50.0, P95_GAUGE, 95.0, P99_GAUGE, 99.0);

    /**
     * The extra histogram buckets unless the builder sets others: log-spaced from 5 ms to 120 s (5, 10, 25, 50, 100,
     * 250, 500 ms, 1, 2.5, 5, 10, 30, 60, 120 s), so that a threshold a host is likely to watch, for any kind of
     * sandbox, is an exact bucket bound.
     */
    public static final List<Duration> DEFAULT_BUCKETS = List.of(Duration.ofMillis(5), Duration.ofMillis(10),
            Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
            Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5),
            Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofSeconds(120));

    private final SandboxLatencyReporter reporter;
    private final Duration[] provisioningBuckets;
    private final Duration[] stopBuckets;
    private final List<Bound> registries = new CopyOnWriteArrayList<>();
    private final Set<SeriesKey> knownSeries = ConcurrentHashMap.newKeySet();

    /** Meters that read their percentiles from {@code reporter}, with the {@link #DEFAULT_BUCKETS}. */
    public SandboxMetrics(SandboxLatencyReporter reporter) {
        this(builder(reporter));
    }

    private SandboxMetrics(Builder builder) {
        this.reporter = builder.reporter;
        this.provisioningBuckets = builder.provisioningBuckets.toArray(Duration[]::new);
        this.stopBuckets = builder.stopBuckets.toArray(Duration[]::new);
    }

    /** A builder of meters that read their percentiles from {@code reporter}. */
    public static Builder builder(SandboxLatencyReporter reporter) {
        return new Builder(Objects.requireNonNull(reporter, "reporter"));
    }

    /** Configures {@link SandboxMetrics}; not thread-safe. */
    public static final class Builder {
        private final SandboxLatencyReporter reporter;
        private List<Duration> provisioningBuckets = DEFAULT_BUCKETS;
        private List<Duration> stopBuckets = DEFAULT_BUCKETS;

        private Builder(SandboxLatencyReporter reporter) {
            this.reporter = reporter;
        }

        /**
         * Extra bucket bounds of the provisioning timer (e.g. a host's own latency targets), beside Micrometer's
         * percentile-histogram buckets.
         *
         * @throws IllegalArgumentException if a bound is not positive
         */
        public Builder provisioningBuckets(Duration... bounds) {
            this.provisioningBuckets = checked("provisioningBuckets", bounds);
            return this;
        }

        /**
         * Extra bucket bounds of the stop timer.
         *
         * @throws IllegalArgumentException if a bound is not positive
         */
        public Builder stopBuckets(Duration... bounds) {
            this.stopBuckets = checked("stopBuckets", bounds);
            return this;
        }

        /** The meters; bind them to registries and register them as a listener. */
        public SandboxMetrics build() {
            return new SandboxMetrics(this);
        }

    }

    /** {@code bounds} as a list, each checked to be positive; the message names the builder method ({@code name}). */
    static List<Duration> checked(String name, Duration... bounds) {
        for (Duration d : List.of(bounds)) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + " " + d + " is not positive: a bucket bound is a duration above zero");
            }
        }
        return List.of(bounds);
    }

    /** Registers the meters of every series known so far into {@code registry}, and of later ones as they appear. */
    @Override
    public void bindTo(MeterRegistry registry) {
        Objects.requireNonNull(registry, "registry");
        Bound bound = new Bound(registry);
        for (LatencyStats.Series s : reporter.stats().series()) {
            knownSeries.add(new SeriesKey(s.driver(), s.startType(), s.runtime()));
        }
        registries.add(bound);
        for (SeriesKey key : knownSeries) {
            bound.registerGauges(key);
        }
    }

    @Override
    public void onEvent(SandboxLifecycleEvent event) {
        if (event instanceof SandboxLifecycleEvent.Ready ready) {
            SeriesKey key = seen(ready.driver(), ready.startType(), LatencyWindows.runtime(ready));
            for (Bound b : registries) {
                b.provisioning(key).record(ready.duration());
                b.phases(ready.driver(), key.startType().wireName(), ready.phases());
            }
        } else if (event instanceof SandboxLifecycleEvent.Failed failed) {
            failed.startType().ifPresent(t -> seen(failed.driver(), t, LatencyWindows.runtime(failed)));
            String startType = failed.startType().map(StartType::wireName).orElse(UNKNOWN_START_TYPE);
            for (Bound b : registries) {
                b.failures(failed.driver()).increment();
                b.phases(failed.driver(), startType, failed.phases());
            }
        } else if (event instanceof SandboxLifecycleEvent.Ended ended) {
            String outcome = ended.type().name().toLowerCase(Locale.ROOT);
            for (Bound b : registries) {
                b.stop(ended.driver(), outcome).record(ended.duration());
            }
        }
        // STARTING: nothing to measure yet
    }

    private SeriesKey seen(String driver, StartType startType, String runtime) {
        SeriesKey key = new SeriesKey(driver, startType, runtime);
        if (knownSeries.add(key)) {
            for (Bound b : registries) {
                b.registerGauges(key);
            }
        }
        return key;
    }

    /** A reporter series; {@code runtime} is "" when the events named none. */
    private record SeriesKey(String driver, StartType startType, String runtime) {
        Tags tags() {
            return Tags.of("driver", driver, "start_type", startType.wireName(),
                    "runtime", runtime.isEmpty() ? DEFAULT_RUNTIME_TAG : runtime);
        }
    }

    /** One registry and its meters, cached so that recording is a map lookup, not a registration. */
    private final class Bound {
        final MeterRegistry registry;
        final Map<SeriesKey, Timer> provisioning = new ConcurrentHashMap<>();
        final Map<String, Counter> failures = new ConcurrentHashMap<>();
        final Map<List<String>, Timer> phases = new ConcurrentHashMap<>();
        final Map<String, Timer> stops = new ConcurrentHashMap<>();

        Bound(MeterRegistry registry) {
            this.registry = registry;
        }

        void registerGauges(SeriesKey key) {
            GAUGES.forEach((name, p) -> Gauge.builder(name, reporter,
                            r -> Percentiles.orNaN(r.percentileMs(key.driver(), key.startType(), key.runtime(), p)))
                    .description("P" + p.intValue() + " of the last " + reporter.windowSize()
                            + " provisioning durations (nearest rank), milliseconds")
                    .tags(key.tags())
                    .strongReference(true)
                    .register(registry));
            provisioning(key); // so the histogram is scraped (with zero counts) as soon as the series exists
        }

        Timer provisioning(SeriesKey key) {
            return provisioning.computeIfAbsent(key, k -> Timer.builder(PROVISIONING_TIMER)
                    .description("Time from start() to a ready sandbox")
                    .tags(k.tags())
                    .publishPercentileHistogram()
                    .serviceLevelObjectives(provisioningBuckets)
                    .minimumExpectedValue(Duration.ofMillis(1))
                    .maximumExpectedValue(Duration.ofMinutes(2))
                    .register(registry));
        }

        void phases(String driver, String startType, Map<String, Duration> durations) {
            durations.forEach((phase, d) -> phases.computeIfAbsent(List.of(driver, startType, phase),
                    k -> Timer.builder(PHASE_TIMER)
                            .description("Time one provisioning phase took (pull, create, start, readiness, ...)")
                            .tags("driver", driver, "start_type", startType, "phase", phase)
                            .publishPercentileHistogram()
                            .minimumExpectedValue(Duration.ofMillis(1))
                            .maximumExpectedValue(Duration.ofMinutes(2))
                            .register(registry)).record(d));
        }

        Counter failures(String driver) {
            return failures.computeIfAbsent(driver, d -> Counter.builder(FAILURE_COUNTER)
                    .description("Starts that ended in FAILED")
                    .tag("driver", d)
                    .register(registry));
        }

        Timer stop(String driver, String outcome) {
            return stops.computeIfAbsent(driver + '\u0000' + outcome, k -> Timer.builder(STOP_TIMER)
                    .description("Time from stop() until the sandbox and its resources are gone")
                    .tags("driver", driver, "outcome", outcome)
                    .publishPercentileHistogram()
                    .serviceLevelObjectives(stopBuckets)
                    .minimumExpectedValue(Duration.ofMillis(1))
                    .maximumExpectedValue(Duration.ofMinutes(1))
                    .register(registry));
        }
    }
}
