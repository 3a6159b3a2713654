package dev.devs.sandbox.metrics;

import dev.devs.sandbox.StartType;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * An immutable snapshot of a {@link SandboxLatencyReporter}'s state: what its JSON report holds.
 *
 * @param generatedAt when the snapshot was taken, from the reporter's clock
 * @param windowSize  the rolling window's capacity (samples kept per series)
 * @param series      one entry per (driver, start type, runtime) seen on READY or FAILED, ordered by driver, start
 *                    type, then runtime
 * @param stops       one entry per driver seen on STOPPED or KILLED, ordered by driver
 * @param failures    FAILED counts per (driver, start type or unknown), ordered like {@code series}
 */
public record LatencyStats(Instant generatedAt, int windowSize, List<Series> series, List<Stops> stops,
                           List<Failures> failures) {

    public LatencyStats {
        Objects.requireNonNull(generatedAt, "generatedAt");
        if (windowSize < 1) {
            throw new IllegalArgumentException("windowSize " + windowSize + " must be >= 1");
        }
        series = List.copyOf(series);
        stops = List.copyOf(stops);
        failures = List.copyOf(failures);
    }

    /**
     * The headline series of the report: the one with the highest P95 (the first of equals), so the
     * top-level fields of the report show the worst series. Series without samples rank last; empty when
     * there is no series at all.
     */
    public Optional<Series> headline() {
        Comparator<Series> byP95 = Comparator.comparingDouble(s -> s.p95Ms().orElse(Double.NEGATIVE_INFINITY));
        Series best = null;
        for (Series s : series) {
            if (best == null || byP95.compare(s, best) > 0) {
                best = s;
            }
        }
        return Optional.ofNullable(best);
    }

    /**
     * The series of {@code driver} and {@code startType}, if it was seen; when sandboxes ran on several runtimes,
     * the first in runtime order (use {@link #series(String, StartType, String)} to name one).
     */
    public Optional<Series> series(String driver, StartType startType) {
        return series.stream().filter(s -> s.driver().equals(driver) && s.startType() == startType).findFirst();
    }

    /** The series of {@code driver}, {@code startType} and {@code runtime} ("" for none reported), if it was seen. */
    public Optional<Series> series(String driver, StartType startType, String runtime) {
        return series.stream().filter(s -> s.driver().equals(driver) && s.startType() == startType
                && s.runtime().equals(runtime)).findFirst();
    }

    /** The stop statistics of {@code driver}, if one of its sandboxes was stopped. */
    public Optional<Stops> stops(String driver) {
        return stops.stream().filter(s -> s.driver().equals(driver)).findFirst();
    }

    /**
     * One provisioning (READY) or stop (STOPPED/KILLED) duration.
     *
     * @param durationMs the duration in milliseconds, rounded to 3 decimals (microseconds)
     * @param timestamp  READY: {@code provisioningReadyAt}; stops: when the stop event was emitted
     * @param sandboxId  the sandbox it belongs to (never a metric tag; kept here to find it in logs)
     * @param phasesMs   per-phase durations in milliseconds (3 decimals), in the order the phases ran
     */
    public record Sample(double durationMs, Instant timestamp, String sandboxId, Map<String, Double> phasesMs) {
        public Sample {
            if (!(durationMs >= 0)) {
                throw new IllegalArgumentException("durationMs " + durationMs + " must be a number >= 0");
            }
            Objects.requireNonNull(timestamp, "timestamp");
            Objects.requireNonNull(sandboxId, "sandboxId");
            phasesMs = phasesMs == null ? Map.of() : ordered(phasesMs);
        }
    }

    /**
     * The provisioning latency of one (driver, start type, runtime).
     *
     * @param driver     driver name
     * @param startType  start type
     * @param runtime    the runtime the series' sandboxes ran on (the events' {@code runtime} attribute, e.g.
     *                   {@code runc}, {@code runsc}, {@code test-stand-in}); empty when the driver reports none
     * @param samples    the rolling window, oldest first (at most {@link LatencyStats#windowSize()})
     * @param p50Ms      nearest-rank P50 over {@code samples}; empty when there are none
     * @param p95Ms      nearest-rank P95 over {@code samples}
     * @param p99Ms      nearest-rank P99 over {@code samples}
     * @param count      READY events seen over the reporter's lifetime (not just the window)
     * @param failures   FAILED events seen with this start type over the reporter's lifetime
     * @param attributes driver facts of the window's samples, as named by the reporter's
     *                   {@link SandboxLatencyReporter.Builder#seriesAttributes series attributes} and in that order
     *                   (by default {@code endpoint}, {@code runtime}, {@code image}); when samples disagree, the
     *                   distinct values joined by {@code ", "} in order of appearance
     */
    public record Series(String driver, StartType startType, String runtime, List<Sample> samples, OptionalDouble p50Ms,
                         OptionalDouble p95Ms, OptionalDouble p99Ms, long count, long failures,
                         Map<String, String> attributes) {
        public Series {
            Objects.requireNonNull(driver, "driver");
            Objects.requireNonNull(startType, "startType");
            Objects.requireNonNull(runtime, "runtime");
            samples = window(samples, p50Ms, p95Ms, p99Ms);
            attributes = ordered(attributes);
        }

        /** The attribute {@code key} of this series' samples (e.g. {@code image}), if the driver reported it. */
        public Optional<String> attribute(String key) {
            return Optional.ofNullable(attributes.get(key));
        }
    }

    /**
     * Stop latency of one driver, from its STOPPED and KILLED events.
     *
     * @param driver  driver name
     * @param samples the rolling window of stop durations, oldest first
     * @param p50Ms   nearest-rank P50 over {@code samples}
     * @param p95Ms   nearest-rank P95 over {@code samples}
     * @param p99Ms   nearest-rank P99 over {@code samples}
     * @param count   stops seen over the reporter's lifetime ({@code stopped + killed})
     * @param stopped lifetime STOPPED events (exited within the grace period)
     * @param killed  lifetime KILLED events (had to be killed, or had died)
     * @param attributes driver facts of the window's sandboxes, as for {@link Series#attributes()} (so stops
     *                measured against the WebContainer test stand-in say so)
     */
    public record Stops(String driver, List<Sample> samples, OptionalDouble p50Ms, OptionalDouble p95Ms,
                        OptionalDouble p99Ms, long count, long stopped, long killed, Map<String, String> attributes) {
        public Stops {
            Objects.requireNonNull(driver, "driver");
            samples = window(samples, p50Ms, p95Ms, p99Ms);
            attributes = ordered(attributes);
        }

        /** The attribute {@code key} of the stopped sandboxes (e.g. {@code runtime}), if the driver reported it. */
        public Optional<String> attribute(String key) {
            return Optional.ofNullable(attributes.get(key));
        }
    }

    /**
     * FAILED events of one driver and start type.
     *
     * @param driver    driver name
     * @param startType the start type, or null when the start failed before the driver decided it
     * @param count     lifetime FAILED events
     * @param lastError {@code toString()} of the most recent failure's error
     */
    public record Failures(String driver, StartType startType, long count, String lastError) {
        public Failures {
            Objects.requireNonNull(driver, "driver");
            if (count < 1) {
                throw new IllegalArgumentException("failures count " + count + " must be >= 1");
            }
        }
    }

    /** A series' window of samples, copied, once its three percentiles are known to be there (possibly empty). */
    private static List<Sample> window(List<Sample> samples, OptionalDouble p50Ms, OptionalDouble p95Ms,
                                       OptionalDouble p99Ms) {
        Objects.requireNonNull(p50Ms, "p50Ms");
        Objects.requireNonNull(p95Ms, "p95Ms");
        Objects.requireNonNull(p99Ms, "p99Ms");
        return List.copyOf(samples);
    }

    /** An unmodifiable copy that keeps the order (the report writes keys in it); Map.copyOf would not. */
    private static <V> Map<String, V> ordered(Map<String, V> map) {
        Map<String, V> copy = new java.util.LinkedHashMap<>(map);
        copy.forEach((k, v) -> {
            Objects.requireNonNull(k, "key");
            Objects.requireNonNull(v, k);
        });
        return java.util.Collections.unmodifiableMap(copy);
    }
}
