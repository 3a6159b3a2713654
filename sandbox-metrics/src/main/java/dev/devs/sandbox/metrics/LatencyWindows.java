package dev.devs.sandbox.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import dev.devs.sandbox.SandboxLifecycleEvent;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.StartType;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.TreeMap;

/**
 * What a {@link SandboxLatencyReporter} knows, in memory: per (driver, start type, runtime) a rolling window of
 * READY durations with lifetime READY and FAILED counts; per driver a window of stop durations with
 * STOPPED and KILLED counts, and the last failure; the report's extra sections. Every change bumps a
 * counter, so a writer can tell whether the file already holds the latest state. The runtime is the event's
 * {@link SandboxSpec#RUNTIME_ATTRIBUTE runtime} attribute, empty when the driver does not report one: starts on
 * runc and on runsc are different series, never one mixed window.
 *
 * <p>Thread-safe: one short lock around array updates; no I/O, and no allocation on READY beyond a map entry
 * the first time a series is seen. {@link #snapshot} copies under the lock and builds the immutable
 * {@link LatencyStats} outside it.
 */
final class LatencyWindows {

    /** Everything a report is made of, at one moment. {@code changes} counts the updates it includes. */
    record Snapshot(long changes, LatencyStats stats, Map<String, JsonNode> sections) {
    }

    private final int windowSize;
    private final List<String> seriesAttributes;

    // Guarded by lock.
    private final Object lock = new Object();
    private final TreeMap<String, DriverState> drivers = new TreeMap<>();
    private final LinkedHashMap<String, JsonNode> sections = new LinkedHashMap<>();
    private long changes;

    /**
     * @param windowSize       samples kept per series
     * @param seriesAttributes the event attributes copied to a series, in report order
     */
    LatencyWindows(int windowSize, List<String> seriesAttributes) {
        this.windowSize = windowSize;
        this.seriesAttributes = List.copyOf(seriesAttributes);
    }

    /** Records a READY, FAILED, STOPPED or KILLED; returns false for STARTING, which changes nothing. */
    boolean record(SandboxLifecycleEvent event) {
        if (event instanceof SandboxLifecycleEvent.Ready ready) {
            double ms = millis(ready.duration());
            synchronized (lock) {
                driver(ready.driver()).series(new Key(ready.startType(), runtime(ready))).add(ms, ready);
                changes++;
            }
            return true;
        }
        if (event instanceof SandboxLifecycleEvent.Failed failed) {
            synchronized (lock) {
                DriverState d = driver(failed.driver());
                failed.startType().ifPresent(t -> d.series(new Key(t, runtime(failed))).failures++);
                d.failure(failed.startType().orElse(null), failed.error());
                changes++;
            }
            return true;
        }
        if (event instanceof SandboxLifecycleEvent.Ended ended) {
            double ms = millis(ended.duration());
            synchronized (lock) {
                driver(ended.driver()).stops().add(ms, ended);
                changes++;
            }
            return true;
        }
        return false;
    }

    /** Puts (or, with a null node, removes) an extra section. */
    void putSection(String key, JsonNode node) {
        synchronized (lock) {
            if (node == null) {
                sections.remove(key);
            } else {
                sections.put(key, node);
            }
            changes++;
        }
    }

    /** Updates so far; 0 until the first event or section. */
    long changes() {
        synchronized (lock) {
            return changes;
        }
    }

    /** The runtime an event names, or "" when it names none: part of the series key. */
    static String runtime(SandboxLifecycleEvent event) {
        String runtime = event.attributes().get(SandboxSpec.RUNTIME_ATTRIBUTE);
        return runtime == null ? "" : runtime;
    }

    /** Percentile {@code p} (already validated) of one series' window; empty when it has no sample. */
    OptionalDouble percentile(String driver, StartType startType, String runtime, double p) {
        synchronized (lock) {
            DriverState d = drivers.get(driver);
            SeriesState s = d == null ? null : d.series.get(new Key(startType, runtime));
            return s == null ? OptionalDouble.empty() : s.window.percentile(p);
        }
    }

    /** A series of one driver: start type, then runtime ("" when not reported). */
    private record Key(StartType startType, String runtime) {
        static final Comparator<Key> ORDER = Comparator.comparing(Key::startType).thenComparing(Key::runtime);
    }

    private record RawSeries(String driver, Key key, RollingWindow.Contents<SandboxLifecycleEvent.Timed> window,
                             long count, long failures) {
    }

    private record RawStops(String driver, RollingWindow.Contents<SandboxLifecycleEvent.Timed> window, long stopped,
                            long killed) {
    }

    /** Copies the state under the lock (array copies only), then builds the immutable stats outside it. */
    Snapshot snapshot(Instant now) {
        List<RawSeries> rawSeries = new ArrayList<>();
        List<RawStops> rawStops = new ArrayList<>();
        List<LatencyStats.Failures> failures = new ArrayList<>();
        Map<String, JsonNode> sectionsCopy;
        long changesCopy;
        synchronized (lock) {
            changesCopy = changes;
            for (Map.Entry<String, DriverState> e : drivers.entrySet()) {
                DriverState d = e.getValue();
                d.series.forEach((k, s) -> rawSeries.add(new RawSeries(e.getKey(), k, s.window.contents(), s.count, s.failures)));
                if (d.stops != null) {
                    rawStops.add(new RawStops(e.getKey(), d.stops.window.contents(), d.stops.stopped, d.stops.killed));
                }
                if (d.unknownStartFailures != null) {
                    failures.add(d.unknownStartFailures.toStats(e.getKey(), null));
                }
                d.failures.forEach((st, f) -> failures.add(f.toStats(e.getKey(), st)));
            }
            sectionsCopy = new LinkedHashMap<>(sections);
        }
        List<LatencyStats.Series> series = new ArrayList<>(rawSeries.size());
        for (RawSeries r : rawSeries) {
            series.add(new LatencyStats.Series(r.driver, r.key.startType(), r.key.runtime(), samples(r.window),
                    r.window.percentile(50), r.window.percentile(95), r.window.percentile(99),
                    r.count, r.failures, attributes(r.window)));
        }
        List<LatencyStats.Stops> stops = new ArrayList<>(rawStops.size());
        for (RawStops r : rawStops) {
            stops.add(new LatencyStats.Stops(r.driver, samples(r.window),
                    r.window.percentile(50), r.window.percentile(95), r.window.percentile(99),
                    r.stopped + r.killed, r.stopped, r.killed, attributes(r.window)));
        }
        return new Snapshot(changesCopy, new LatencyStats(now, windowSize, series, stops, failures), sectionsCopy);
    }

    private static List<LatencyStats.Sample> samples(RollingWindow.Contents<SandboxLifecycleEvent.Timed> w) {
        List<LatencyStats.Sample> out = new ArrayList<>(w.size());
        for (int i = 0; i < w.size(); i++) {
            SandboxLifecycleEvent.Timed e = w.item(i);
            Map<String, Double> phases = new LinkedHashMap<>();
            e.phases().forEach((name, d) -> phases.put(name, millis(d)));
            // A READY's timestamp is its provisioningReadyAt; a stop's is when the stop ended.
            out.add(new LatencyStats.Sample(w.values()[i], e.timestamp(), e.sandboxId(), phases));
        }
        return out;
    }

    /** The configured attributes of the window's events; distinct values joined in order of appearance. */
    private Map<String, String> attributes(RollingWindow.Contents<SandboxLifecycleEvent.Timed> w) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String key : seriesAttributes) {
            Set<String> distinct = new LinkedHashSet<>();
            for (int i = 0; i < w.size(); i++) {
                String v = w.item(i).attributes().get(key);
                if (v != null) {
                    distinct.add(v);
                }
            }
            if (!distinct.isEmpty()) {
                out.put(key, String.join(", ", distinct));
            }
        }
        return out;
    }

    /** Milliseconds rounded to 3 decimals: what the report holds, so recomputed percentiles match. */
    static double millis(Duration d) {
        long micros = Math.round(d.toNanos() / 1_000.0);
        return micros / 1_000.0;
    }

    // ---- state (guarded by lock) ----

    private DriverState driver(String name) {
        return drivers.computeIfAbsent(name, n -> new DriverState());
    }

    private final class DriverState {
        final TreeMap<Key, SeriesState> series = new TreeMap<>(Key.ORDER);
        final EnumMap<StartType, FailureState> failures = new EnumMap<>(StartType.class);
        FailureState unknownStartFailures;
        StopState stops;

        SeriesState series(Key key) {
            SeriesState s = series.get(key);
            if (s == null) {
                s = new SeriesState(windowSize);
                series.put(key, s);
            }
            return s;
        }

        StopState stops() {
            if (stops == null) {
                stops = new StopState(windowSize);
            }
            return stops;
        }

        void failure(StartType st, Throwable error) {
            FailureState f;
            if (st == null) {
                if (unknownStartFailures == null) {
                    unknownStartFailures = new FailureState();
                }
                f = unknownStartFailures;
            } else {
                f = failures.computeIfAbsent(st, k -> new FailureState());
            }
            f.count++;
            f.last = error;
        }
    }

    /** What a start series and a driver's stops both keep: the rolling window of their latest events' durations. */
    private abstract static class WindowState<E extends SandboxLifecycleEvent.Timed> {
        final RollingWindow<SandboxLifecycleEvent.Timed> window;

        WindowState(int windowSize) {
            this.window = new RollingWindow<>(windowSize);
        }

        /** Adds the event's duration to the window and counts the event. */
        final void add(double ms, E event) {
            window.add(ms, event);
            count(event);
        }

        abstract void count(E event);
    }

    private static final class SeriesState extends WindowState<SandboxLifecycleEvent.Ready> {
        long count;
        long failures;

        SeriesState(int windowSize) {
            super(windowSize);
        }

        @Override
        void count(SandboxLifecycleEvent.Ready event) {
            count++;
        }
    }

    private static final class StopState extends WindowState<SandboxLifecycleEvent.Ended> {
        long stopped;
        long killed;

        StopState(int windowSize) {
            super(windowSize);
        }

        @Override
        void count(SandboxLifecycleEvent.Ended event) {
            if (event instanceof SandboxLifecycleEvent.Stopped) {
                stopped++;
            } else {
                killed++;
            }
        }
    }

    private static final class FailureState {
        long count;
        Throwable last;

        LatencyStats.Failures toStats(String driver, StartType st) {
            // toString here, on the snapshot's side, not in onEvent.
            return new LatencyStats.Failures(driver, st, count, last == null ? null : last.toString());
        }
    }
}
