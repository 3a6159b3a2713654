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
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps provisioning latency per (driver, start type, runtime) and stop latency per driver, and persists it as the JSON report
 * {@code .devs/reports/sandbox_latency_benchmark.json} (docs/design.md "Report contract").
 *
 * <pre>{@code
 * try (SandboxLatencyReporter reporter = SandboxLatencyReporter.builder().build();
 *      SandboxProvider provider = SandboxProvider.builder(new DockerDriver()).listener(reporter).build()) {
 *     ...
 *     LatencyStats stats = reporter.stats();
 * }   // close() writes the last state
 * }</pre>
 *
 * <h2>What it keeps</h2>
 * For every (driver, start type, runtime): a rolling window of the last {@link Builder#windowSize(int) windowSize}
 * READY durations (default 100), kept sorted by binary-search insertion so that P50/P95/P99 are read, not
 * computed, with the nearest-rank definition of {@link Percentiles}; lifetime READY and FAILED counts. For
 * every driver: a window of stop durations with STOPPED and KILLED counts. STARTING changes nothing.
 * Durations are kept in milliseconds rounded to microseconds, exactly as written to the report, so a
 * percentile recomputed from the report's samples equals the one in it. A series also carries the
 * {@link Builder#seriesAttributes event attributes} named for it (by default {@link #DEFAULT_SERIES_ATTRIBUTES}).
 * The runtime is the events' {@code runtime} attribute ({@link dev.devs.sandbox.SandboxSpec#RUNTIME_ATTRIBUTE}):
 * starts on runc and on runsc are separate series, written with their {@code runtime} key; events without it
 * form the series without a runtime (no {@code runtime} key).
 *
 * <h2>Threading and cost</h2>
 * {@link #onEvent} may be called by any number of providers at once. It records the event in memory under a
 * short lock (no I/O, no waiting on the file system) and asks the reporter's own writer thread for a write.
 * Requests coalesce: at most one write waits behind the one running, and it carries the latest state, so a
 * burst of events costs one or two writes, and a slow or failing file system delays the report, never the
 * provider. A failed write is logged (once per outage) and retried with the next event or {@link #flush()};
 * the reporter keeps serving {@link #stats()}.
 *
 * <h2>Writing</h2>
 * Nothing is written before the first event or {@link #putSection}. Each write replaces the whole file
 * atomically (temp file in the same directory, then {@code ATOMIC_MOVE}), creating the directory when
 * missing; a reader sees the previous or the next report, never a partial one. {@link #close()} writes the
 * last state and stops the writer thread; events after {@code close()} are ignored (logged once).
 */
public final class SandboxLatencyReporter implements SandboxLifecycleListener, AutoCloseable {

    /** Where the report goes unless told otherwise (relative to the working directory). */
    public static final Path DEFAULT_REPORT_PATH = Path.of(".devs", "reports", "sandbox_latency_benchmark.json");

    /** Samples kept per series unless told otherwise. */
    public static final int DEFAULT_WINDOW_SIZE = 100;

    /**
     * The event attributes copied to a series unless told otherwise: the low-cardinality facts the bundled
     * drivers report ({@code endpoint}, {@code runtime}, {@code image}). Never a per-sandbox value such as a
     * container id: a series describes many sandboxes.
     */
    public static final List<String> DEFAULT_SERIES_ATTRIBUTES = List.of("endpoint", "runtime", "image");

    /** How long {@link #close()} waits for the last write before it gives up on it. */
    static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

    private static final Logger log = LoggerFactory.getLogger(SandboxLatencyReporter.class);

    private final Path reportPath;
    private final int windowSize;
    private final Clock clock;
    private final AtomicFiles.Writer fileWriter;
    private final Duration closeTimeout;
    private final LatencyWindows windows;
    private final CoalescingWriter writer;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicBoolean lateEventLogged = new AtomicBoolean();

    // Confined to the writer thread: what the file holds, and whether the last write failed.
    private long writtenChanges;
    private boolean failing;

    private SandboxLatencyReporter(Builder b) {
        this.reportPath = b.reportPath;
        this.windowSize = b.windowSize;
        this.clock = b.clock;
        this.fileWriter = b.fileWriter;
        this.closeTimeout = b.closeTimeout;
        this.windows = new LatencyWindows(b.windowSize, b.seriesAttributes);
        this.writer = new CoalescingWriter("sandbox-latency-report-writer", this::writeLatest);
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
     * Records the event and asks for a write; cheap and non-blocking (see the class documentation). Never
     * throws: a bad event is logged and ignored, as a listener must; after {@link #close()} every event is
     * ignored (logged once).
     */
    @Override
    public void onEvent(SandboxLifecycleEvent event) {
        if (closed.get()) {
            ignoredAfterClose(event);
            return;
        }
        try {
            if (!windows.record(event)) {
                return;
            }
        } catch (RuntimeException e) {
            log.warn("latency reporter could not record {}; ignored", event, e);
            return;
        }
        writer.request();
    }

    /**
     * Adds (or replaces) an extra top-level section of the report, included in every later write; a null
     * value removes it. The value is converted to JSON now (so later changes to the caller's object do not
     * leak into the report) and a write is requested. Ignored (logged once) after {@link #close()}.
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
                    + "reserved: " + new TreeSet<>(ReportJson.RESERVED_KEYS));
        }
        JsonNode node = null;
        if (value != null) {
            node = value instanceof JsonNode j ? j.deepCopy() : ReportJson.MAPPER.valueToTree(value);
        }
        if (closed.get()) {
            ignoredAfterClose("section '" + key + "'");
            return;
        }
        windows.putSection(key, node);
        writer.request();
    }

    /** An immutable snapshot of every series, stop and failure statistic, taken now. */
    public LatencyStats stats() {
        return windows.snapshot(clock.instant()).stats();
    }

    /**
     * Nearest-rank percentile {@code p} of the current window of one series, in milliseconds; empty when the
     * series has no sample. Cheaper than {@link #stats()}: this is what the Prometheus gauges read.
     *
     * @param runtime the series' runtime ({@link LatencyStats.Series#runtime()}), "" for the series whose events
     *                named none
     * @throws IllegalArgumentException if {@code p} is not in (0, 100]
     */
    public OptionalDouble percentileMs(String driver, StartType startType, String runtime, double p) {
        Objects.requireNonNull(runtime, "runtime");
        Percentiles.rank(0, p); // validates p before taking the lock
        return windows.percentile(driver, startType, runtime, p);
    }

    /**
     * Writes the current state and waits for that write: when it returns, everything recorded before the call
     * is on disk. Returns at once if nothing was ever recorded or the file already holds the latest state.
     * After {@link #close()} it reports the outcome of the closing write. If the calling thread is
     * interrupted, it stops waiting and returns with the thread's interrupt status set.
     *
     * @throws UncheckedIOException if that write failed (the reporter keeps working, and retries with the next
     *                              event or flush)
     */
    public void flush() {
        try {
            writer.flush();
        } catch (Exception e) {
            throw writeFailure(e);
        }
    }

    /**
     * Writes the last state (like {@link #flush()}), waiting for it at most 30 seconds, and stops the writer
     * thread. Idempotent: a second call returns at once. Events after {@code close()} are ignored; a
     * {@link #flush()} racing it waits for this last write and reports its outcome.
     *
     * @throws UncheckedIOException if that last write failed or did not finish in time; the writer thread is
     *                              stopped anyway
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            writer.close(closeTimeout);
        } catch (TimeoutException e) {
            throw new UncheckedIOException(new IOException("writing the latency report " + reportPath
                    + " did not finish within " + closeTimeout.toSeconds() + " s; the writer was stopped", e));
        } catch (Exception e) {
            throw writeFailure(e);
        }
    }

    @Override
    public String toString() {
        return "SandboxLatencyReporter[" + reportPath + ", window " + windowSize + "]";
    }

    private void ignoredAfterClose(Object what) {
        if (lateEventLogged.compareAndSet(false, true)) {
            log.warn("latency reporter {} is closed; ignoring {} and whatever comes after it", reportPath, what);
        }
    }

    private RuntimeException writeFailure(Exception e) {
        String message = "writing the latency report " + reportPath + " failed: " + e;
        return e instanceof IOException io ? new UncheckedIOException(message, io) : new IllegalStateException(message, e);
    }

    /** The writer thread's job: the latest state to the file, unless the file already holds it. */
    private void writeLatest() throws Exception {
        LatencyWindows.Snapshot snap = windows.snapshot(clock.instant());
        if (snap.changes() == 0 || snap.changes() <= writtenChanges) {
            return;
        }
        try {
            fileWriter.write(reportPath, ReportJson.render(snap.stats(), snap.sections()));
        } catch (Exception e) {
            // Whatever went wrong (I/O, a bug in rendering) counts as a failed write. Once per outage at WARN,
            // so that a full disk during a burst does not flood the log.
            if (failing) {
                log.debug("writing the latency report {} failed again: {}", reportPath, e.toString());
            } else {
                log.warn("writing the latency report {} failed; will retry on the next event", reportPath, e);
            }
            failing = true;
            throw e;
        }
        writtenChanges = snap.changes();
        if (failing) {
            failing = false;
            log.info("writing the latency report {} works again", reportPath);
        }
    }

    /** Builder for {@link SandboxLatencyReporter}. */
    public static final class Builder {
        private Path reportPath = DEFAULT_REPORT_PATH;
        private int windowSize = DEFAULT_WINDOW_SIZE;
        private Clock clock = Clock.systemUTC();
        private AtomicFiles.Writer fileWriter = AtomicFiles.DEFAULT;
        private List<String> seriesAttributes = DEFAULT_SERIES_ATTRIBUTES;
        private Duration closeTimeout = CLOSE_TIMEOUT;

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

        /**
         * The event attributes copied to every series and stop series, in this order (the report writes them
         * as keys of the series). Name only values that describe many sandboxes alike (an image, a runtime),
         * never one per sandbox. Default {@link #DEFAULT_SERIES_ATTRIBUTES}; empty copies none.
         *
         * @throws IllegalArgumentException if a key is blank, repeated, or one of the series' own keys
         *                                  ({@code driver, startType, samples, p50Ms, p95Ms, p99Ms, count,
         *                                  failures, stopped, killed})
         */
        public Builder seriesAttributes(List<String> keys) {
            Objects.requireNonNull(keys, "keys");
            Set<String> seen = new java.util.HashSet<>();
            for (String key : keys) {
                if (key == null || key.isBlank()) {
                    throw new IllegalArgumentException("series attribute '" + key + "' is blank; name an event attribute such as 'image'");
                }
                if (ReportJson.SERIES_KEYS.contains(key)) {
                    throw new IllegalArgumentException("series attribute '" + key + "' is a key the report uses for every series; "
                            + "reserved: " + new TreeSet<>(ReportJson.SERIES_KEYS));
                }
                if (!seen.add(key)) {
                    throw new IllegalArgumentException("series attribute '" + key + "' is named twice in " + keys);
                }
            }
            this.seriesAttributes = new ArrayList<>(keys);
            return this;
        }

        /** For tests: how long close() waits for the last write. */
        Builder closeTimeout(Duration closeTimeout) {
            this.closeTimeout = Objects.requireNonNull(closeTimeout, "closeTimeout");
            return this;
        }

        /** For tests: how the bytes reach the disk (e.g. a deliberately slow or failing writer). */
        Builder fileWriter(AtomicFiles.Writer fileWriter) {
            this.fileWriter = Objects.requireNonNull(fileWriter, "fileWriter");
            return this;
        }

        /** Builds the reporter with its own writer thread; close it to write the last state and stop that thread. */
        public SandboxLatencyReporter build() {
            return new SandboxLatencyReporter(this);
        }
    }
}
