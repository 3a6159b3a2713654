package dev.devs.sandbox.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import dev.devs.sandbox.SandboxLifecycleEvent;
import dev.devs.sandbox.SandboxLifecycleListener;
import dev.devs.sandbox.StartType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps provisioning and stop latency per (driver, start type) and persists it as the JSON report
 * {@code .devs/reports/sandbox_latency_benchmark.json} (DESIGN.md "Report contract").
 *
 * <pre>{@code
 * try (SandboxLatencyReporter reporter = SandboxLatencyReporter.builder().build();
 *      SandboxProvider provider = SandboxProvider.builder(new DockerDriver()).listener(reporter).build()) {
 *     ...
 *     LatencyStats stats = reporter.getStats();
 * }   // close() writes the last state
 * }</pre>
 *
 * <h2>What it keeps</h2>
 * For every (driver, start type): a rolling window of the last {@link Builder#windowSize(int) windowSize}
 * READY durations (default 100), kept sorted by binary-search insertion so that P50/P95/P99 are read, not
 * computed, with the nearest-rank definition of {@link Percentiles}; lifetime READY and FAILED counts. For
 * every driver: a window of stop durations with STOPPED and KILLED counts. STARTING changes nothing.
 * Durations are kept in milliseconds rounded to microseconds, exactly as written to the report, so a
 * percentile recomputed from the report's samples equals the one in it.
 *
 * <h2>Threading and cost</h2>
 * {@link #onEvent} may be called by any number of providers at once. It updates the in-memory state under
 * a short lock (no allocation beyond a map entry for a new series, no I/O) and wakes one writer thread,
 * which takes a snapshot and writes it. Bursts coalesce: while a write is in progress further events only
 * mark the state dirty, and the next write carries the latest state. So a slow or failing file system can
 * delay the report, never the provider. A failed write is logged and retried after the next event (or
 * {@link #flush()}); the reporter keeps serving {@link #getStats()}.
 *
 * <h2>Writing</h2>
 * Nothing is written before the first event or {@link #putSection}. Each write replaces the whole file
 * atomically (temp file in the same directory, then {@code ATOMIC_MOVE}), creating the directory when
 * missing; a reader sees the previous or the next report, never a partial one. {@link #close()} writes the
 * last state and stops the writer. Events after {@code close()} still update {@link #getStats()} but are no
 * longer written.
 */
public final class SandboxLatencyReporter implements SandboxLifecycleListener, AutoCloseable {

    /** Where the report goes unless told otherwise (relative to the working directory). */
    public static final Path DEFAULT_REPORT_PATH = Path.of(".devs", "reports", "sandbox_latency_benchmark.json");

    /** Samples kept per series unless told otherwise. */
    public static final int DEFAULT_WINDOW_SIZE = 100;

    /** The event attributes copied to a series; never the container id (unbounded, and it is per sandbox). */
    static final List<String> SERIES_ATTRIBUTES = List.of("endpoint", "runtime", "image");

    private static final Logger log = LoggerFactory.getLogger(SandboxLatencyReporter.class);

    private final Path reportPath;
    private final int windowSize;
    private final Clock clock;
    private final AtomicFiles.Writer fileWriter;

    // Guarded by lock: the latency state, the extra sections and a change counter.
    private final Object lock = new Object();
    private final TreeMap<String, DriverState> drivers = new TreeMap<>();
    private final LinkedHashMap<String, JsonNode> sections = new LinkedHashMap<>();
    private long changes;

    // The hand-off to the writer: set by onEvent, cleared by the writer just before it snapshots.
    private final AtomicBoolean writeRequested = new AtomicBoolean();
    private final Thread writer;
    private volatile boolean stopping;
    private final AtomicBoolean closed = new AtomicBoolean();

    // Guarded by progress: what the writer has done, for flush().
    private final Object progress = new Object();
    private long writtenChanges;
    private long attempts;
    private long lastAttemptChanges;
    private Exception lastFailure;

    private SandboxLatencyReporter(Builder b) {
        this.reportPath = b.reportPath;
        this.windowSize = b.windowSize;
        this.clock = b.clock;
        this.fileWriter = b.fileWriter;
        this.writer = new Thread(this::runWriter, "sandbox-latency-report-writer");
        // Daemon: a reporter someone forgot to close must not keep the JVM alive; close() is what flushes.
        writer.setDaemon(true);
        writer.start();
    }

    /** A builder with the defaults: {@link #DEFAULT_REPORT_PATH}, {@link #DEFAULT_WINDOW_SIZE}, the UTC system clock. */
    public static Builder builder() {
        return new Builder();
    }

    /** The file this reporter writes. */
    public Path reportPath() {
        return reportPath;
    }

    /** Samples kept per series. */
    public int windowSize() {
        return windowSize;
    }

    /**
     * Records the event; cheap and non-blocking (see the class documentation). Never throws: a bad event
     * is logged and ignored, as a listener must.
     */
    @Override
    public void onEvent(SandboxLifecycleEvent event) {
        try {
            if (!record(event)) {
                return;
            }
        } catch (RuntimeException e) {
            log.warn("latency reporter could not record {}; ignored", event, e);
            return;
        }
        requestWrite();
    }

    private boolean record(SandboxLifecycleEvent event) {
        if (event instanceof SandboxLifecycleEvent.Ready ready) {
            double ms = checkedMillis(ready);
            synchronized (lock) {
                driver(ready.driver()).series(ready.startType(), windowSize).ready(ms, ready);
                changes++;
            }
            return true;
        }
        if (event instanceof SandboxLifecycleEvent.Failed failed) {
            synchronized (lock) {
                DriverState d = driver(failed.driver());
                failed.startType().ifPresent(t -> d.series(t, windowSize).failures++);
                d.failure(failed.startType().orElse(null), failed.error());
                changes++;
            }
            return true;
        }
        if (event instanceof SandboxLifecycleEvent.Ended ended) {
            double ms = checkedMillis(ended);
            synchronized (lock) {
                driver(ended.driver()).stops(windowSize).add(ms, ended);
                changes++;
            }
            return true;
        }
        return false; // STARTING: nothing to keep
    }

    /**
     * Adds (or replaces) an extra top-level section of the report, included in every later write; a null
     * value removes it. The value is converted to JSON now (so later changes to the caller's object do not
     * leak into the report) and a write is requested.
     *
     * @param key   a top-level key that the report contract does not use
     * @param value anything Jackson can serialise (records, maps, lists, {@link java.time} types), or null
     * @throws IllegalArgumentException if {@code key} is blank or reserved by the contract
     *                                  ({@code driver, startType, samples, p50Ms, p95Ms, p99Ms, generatedAt,
     *                                  windowSize, series, stops, failures}), or the value cannot be serialised
     */
    public void putSection(String key, Object value) {
        Objects.requireNonNull(key, "key");
        if (key.isBlank()) {
            throw new IllegalArgumentException("section key '" + key + "' is blank");
        }
        if (ReportJson.RESERVED_KEYS.contains(key)) {
            throw new IllegalArgumentException("section key '" + key + "' is reserved by the report contract; "
                    + "reserved: " + new java.util.TreeSet<>(ReportJson.RESERVED_KEYS));
        }
        JsonNode node = null;
        if (value != null) {
            node = value instanceof JsonNode j ? j.deepCopy() : ReportJson.MAPPER.valueToTree(value);
        }
        synchronized (lock) {
            if (node == null) {
                sections.remove(key);
            } else {
                sections.put(key, node);
            }
            changes++;
        }
        requestWrite();
    }

    /** An immutable snapshot of every series, stop and failure statistic, taken now. */
    public LatencyStats getStats() {
        return snapshot().stats;
    }

    /**
     * Nearest-rank percentile {@code p} of the current window of one series, in milliseconds; empty when the
     * series has no sample. Cheaper than {@link #getStats()}: this is what the Prometheus gauges read.
     *
     * @throws IllegalArgumentException if {@code p} is not in (0, 100]
     */
    public OptionalDouble percentileMs(String driver, StartType startType, double p) {
        Percentiles.rank(0, p); // validates p before taking the lock
        synchronized (lock) {
            DriverState d = drivers.get(driver);
            SeriesState s = d == null ? null : d.series.get(startType);
            return s == null ? OptionalDouble.empty() : s.window.percentile(p);
        }
    }

    /**
     * Blocks until the state as of this call is on disk. Returns at once if nothing was ever recorded, after
     * {@link #close()}, or (with the interrupt flag set) when the calling thread is interrupted.
     *
     * @throws UncheckedIOException if the write of that state failed (the reporter keeps working, and
     *                              retries with the next event)
     */
    public void flush() {
        long target;
        synchronized (lock) {
            target = changes;
        }
        synchronized (progress) {
            if (target == 0 || writtenChanges >= target || !writer.isAlive()) {
                return;
            }
            long attemptsBefore = attempts;
            requestWrite(true);
            while (writtenChanges < target) {
                if (attempts > attemptsBefore && lastAttemptChanges >= target && lastFailure != null) {
                    Exception f = lastFailure;
                    throw f instanceof IOException io
                            ? new UncheckedIOException("writing the latency report " + reportPath + " failed: " + io, io)
                            : new IllegalStateException("writing the latency report " + reportPath + " failed: " + f, f);
                }
                if (!writer.isAlive()) {
                    return;
                }
                try {
                    progress.wait(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /**
     * Writes the last state (like {@link #flush()}) and stops the writer thread. Idempotent.
     *
     * @throws UncheckedIOException if that last write failed; the writer is stopped anyway
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            flush();
        } finally {
            stopping = true;
            LockSupport.unpark(writer);
            try {
                writer.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public String toString() {
        return "SandboxLatencyReporter[" + reportPath + ", window " + windowSize + "]";
    }

    // ---- the writer side ----

    private void requestWrite() {
        requestWrite(false);
    }

    private void requestWrite(boolean force) {
        if (closed.get() && !force) {
            return;
        }
        // Only the event that flips the flag pays for the unpark; during a burst the flag is already set.
        if (!writeRequested.get() && writeRequested.compareAndSet(false, true)) {
            LockSupport.unpark(writer);
        } else if (force) {
            LockSupport.unpark(writer);
        }
    }

    private void runWriter() {
        while (true) {
            while (!writeRequested.get()) {
                if (stopping) {
                    return;
                }
                LockSupport.park(this);
            }
            // Cleared before the snapshot: an event that lands after this point requests another write,
            // one that landed before is in the snapshot. Nothing is lost; at worst one write too many.
            writeRequested.set(false);
            writeOnce();
        }
    }

    private void writeOnce() {
        long snapChanges;
        synchronized (lock) {
            snapChanges = changes;
        }
        if (snapChanges == 0) {
            return;
        }
        Exception failure = null;
        try {
            Snapshot snap = snapshot();
            snapChanges = snap.changes;
            fileWriter.write(reportPath, ReportJson.render(snap.stats, snap.sections));
        } catch (Exception e) {
            // Whatever went wrong (I/O, a bug in rendering), it is recorded like a failed write: flush()
            // reports it instead of waiting forever, and the writer stays alive for the next event.
            failure = e;
        }
        boolean hadFailed;
        synchronized (progress) {
            hadFailed = lastFailure != null;
            attempts++;
            lastAttemptChanges = snapChanges;
            lastFailure = failure;
            if (failure == null) {
                writtenChanges = Math.max(writtenChanges, snapChanges);
            }
            progress.notifyAll();
        }
        if (failure != null) {
            // Once per outage at WARN, so a full disk during a burst does not flood the log.
            if (hadFailed) {
                log.debug("writing the latency report {} failed again: {}", reportPath, failure.toString());
            } else {
                log.warn("writing the latency report {} failed; will retry on the next event", reportPath, failure);
            }
        } else if (hadFailed) {
            log.info("writing the latency report {} works again", reportPath);
        }
    }

    // ---- snapshots ----

    private record Snapshot(long changes, LatencyStats stats, Map<String, JsonNode> sections) {
    }

    private record RawSeries(String driver, StartType startType, RollingWindow.Contents<SandboxLifecycleEvent.Timed> window,
                             long count, long failures) {
    }

    private record RawStops(String driver, RollingWindow.Contents<SandboxLifecycleEvent.Timed> window, long stopped, long killed) {
    }

    /**
     * Copies the state under the lock (array copies only), then builds the immutable stats outside it, so
     * a snapshot holds up {@link #onEvent} callers for as short a time as possible.
     */
    private Snapshot snapshot() {
        List<RawSeries> rawSeries = new ArrayList<>();
        List<RawStops> rawStops = new ArrayList<>();
        List<LatencyStats.Failures> failures = new ArrayList<>();
        Map<String, JsonNode> sectionsCopy;
        long changesCopy;
        Instant now;
        synchronized (lock) {
            changesCopy = changes;
            now = clock.instant();
            for (Map.Entry<String, DriverState> e : drivers.entrySet()) {
                DriverState d = e.getValue();
                d.series.forEach((st, s) -> rawSeries.add(new RawSeries(e.getKey(), st, s.window.contents(), s.count, s.failures)));
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
            series.add(new LatencyStats.Series(r.driver, r.startType, samples(r.window, true),
                    r.window.percentile(50), r.window.percentile(95), r.window.percentile(99),
                    r.count, r.failures, attributes(r.window)));
        }
        List<LatencyStats.Stops> stops = new ArrayList<>(rawStops.size());
        for (RawStops r : rawStops) {
            stops.add(new LatencyStats.Stops(r.driver, samples(r.window, false),
                    r.window.percentile(50), r.window.percentile(95), r.window.percentile(99),
                    r.stopped + r.killed, r.stopped, r.killed, attributes(r.window)));
        }
        return new Snapshot(changesCopy, new LatencyStats(now, windowSize, series, stops, failures), sectionsCopy);
    }

    private static List<LatencyStats.Sample> samples(RollingWindow.Contents<SandboxLifecycleEvent.Timed> w, boolean ready) {
        List<LatencyStats.Sample> out = new ArrayList<>(w.size());
        for (int i = 0; i < w.size(); i++) {
            SandboxLifecycleEvent.Timed e = w.item(i);
            Map<String, Double> phases = new LinkedHashMap<>();
            e.phases().forEach((name, d) -> phases.put(name, millis(d)));
            // A READY's timestamp is its provisioningReadyAt; a stop's is when the stop ended.
            out.add(new LatencyStats.Sample(w.values()[i], e.timestamp(),
                    e.sandboxId(), phases));
        }
        return out;
    }

    private static Map<String, String> attributes(RollingWindow.Contents<SandboxLifecycleEvent.Timed> w) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String key : SERIES_ATTRIBUTES) {
            Set<String> distinct = new LinkedHashSet<>();
            for (int i = 0; i < w.size(); i++) {
                SandboxLifecycleEvent.Timed e = w.item(i);
                String v = e.attributes().get(key);
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

    // Refused here rather than kept: one impossible sample in a window would make every later write fail.
    private static double checkedMillis(SandboxLifecycleEvent.Timed event) {
        if (event.duration().isNegative()) {
            throw new IllegalArgumentException("duration " + event.duration() + " of " + event.type() + " " + event.sandboxId()
                    + " is negative; a duration must be >= 0");
        }
        return millis(event.duration());
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

    private static final class DriverState {
        final EnumMap<StartType, SeriesState> series = new EnumMap<>(StartType.class);
        final EnumMap<StartType, FailureState> failures = new EnumMap<>(StartType.class);
        FailureState unknownStartFailures;
        StopState stops;

        SeriesState series(StartType st, int windowSize) {
            SeriesState s = series.get(st);
            if (s == null) {
                s = new SeriesState(windowSize);
                series.put(st, s);
            }
            return s;
        }

        StopState stops(int windowSize) {
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

    private static final class SeriesState {
        final RollingWindow<SandboxLifecycleEvent.Timed> window;
        long count;
        long failures;

        SeriesState(int windowSize) {
            this.window = new RollingWindow<>(windowSize);
        }

        void ready(double ms, SandboxLifecycleEvent.Ready event) {
            window.add(ms, event);
            count++;
        }
    }

    private static final class StopState {
        final RollingWindow<SandboxLifecycleEvent.Timed> window;
        long stopped;
        long killed;

        StopState(int windowSize) {
            this.window = new RollingWindow<>(windowSize);
        }

        void add(double ms, SandboxLifecycleEvent.Ended event) {
            window.add(ms, event);
            if (event.type() == SandboxLifecycleEvent.Type.STOPPED) {
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
            // toString here, on the writer's side, not in onEvent.
            return new LatencyStats.Failures(driver, st, count, last == null ? null : last.toString());
        }
    }

    /** Builder for {@link SandboxLatencyReporter}. */
    public static final class Builder {
        private Path reportPath = DEFAULT_REPORT_PATH;
        private int windowSize = DEFAULT_WINDOW_SIZE;
        private Clock clock = Clock.systemUTC();
        private AtomicFiles.Writer fileWriter = AtomicFiles.DEFAULT;

        private Builder() {
        }

        /** Where to write the report; its directory is created when missing. Default {@link #DEFAULT_REPORT_PATH}. */
        public Builder reportPath(Path reportPath) {
            Objects.requireNonNull(reportPath, "reportPath");
            if (reportPath.getFileName() == null) {
                throw new IllegalArgumentException("reportPath '" + reportPath + "' names no file; give a file path such as "
                        + DEFAULT_REPORT_PATH);
            }
            this.reportPath = reportPath;
            return this;
        }

        /** Samples kept per series, 1 to 100 000. Default 100. */
        public Builder windowSize(int windowSize) {
            if (windowSize < 1 || windowSize > 100_000) {
                throw new IllegalArgumentException("windowSize " + windowSize + " is out of range; use 1 to 100000 (default "
                        + DEFAULT_WINDOW_SIZE + ")");
            }
            this.windowSize = windowSize;
            return this;
        }

        /** Clock for {@code generatedAt}. Default: the UTC system clock. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** For tests: how the bytes reach the disk (e.g. a deliberately slow or failing writer). */
        Builder fileWriter(AtomicFiles.Writer fileWriter) {
            this.fileWriter = Objects.requireNonNull(fileWriter, "fileWriter");
            return this;
        }

        /** Builds the reporter and starts its writer thread; close it to write the last state. */
        public SandboxLatencyReporter build() {
            return new SandboxLatencyReporter(this);
        }
    }
}
