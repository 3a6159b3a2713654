package dev.devs.sandbox.benchmarks;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Version;
import dev.devs.sandbox.SandboxLifecycleListener;
import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.metrics.SandboxLatencyReporter;
import dev.devs.sandbox.metrics.SandboxMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The one measurement sink of a benchmark run, shared by every benchmark class of the JVM: one
 * {@link SandboxLatencyReporter} (so the run ends with one {@code sandbox_latency_benchmark.json}) and
 * {@link SandboxMetrics} bound to a {@link PrometheusMeterRegistry} (so it ends with {@code metrics.prom}).
 *
 * <p>Obtained through {@link BenchmarkRunExtension}, which keeps it in the JUnit root store: JUnit closes it
 * after the last test of the run, and {@link #close()} writes the final report and the scrape text.
 */
final class BenchmarkRun implements AutoCloseable {

    static final String REPORT_FILE = "sandbox_latency_benchmark.json";
    static final String METRICS_FILE = "metrics.prom";
    /** The report section that holds the warm-up samples, apart from the measured series. */
    static final String WARMUP_SECTION = "warmup";

    private final Path reportsDir;
    private final SandboxLatencyReporter reporter;
    private final PrometheusMeterRegistry registry;
    private final SandboxMetrics metrics;
    private final List<String> summaries = new ArrayList<>();
    private final Map<String, List<Measurements.Sample>> warmups = new LinkedHashMap<>(); // guarded by this

    private BenchmarkRun(Path reportsDir) {
        this.reportsDir = reportsDir;
        this.reporter = SandboxLatencyReporter.builder().reportPath(reportsDir.resolve(REPORT_FILE)).build();
        this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        // The default buckets plus a bound at every target, so "share of starts within target" is exact in PromQL.
        this.metrics = SandboxMetrics.builder(reporter)
                .provisioningBuckets(withTargets(SandboxMetrics.DEFAULT_BUCKETS, LatencyTargets.provisioningTargets()))
                .stopBuckets(withTargets(SandboxMetrics.DEFAULT_BUCKETS, List.of(LatencyTargets.stop())))
                .build();
        metrics.bindTo(registry);
    }

    private static Duration[] withTargets(List<Duration> buckets, List<Duration> targets) {
        TreeSet<Duration> bounds = new TreeSet<>(buckets);
        bounds.addAll(targets);
        return bounds.toArray(Duration[]::new);
    }

    static BenchmarkRun open() {
        BenchmarkRun run = new BenchmarkRun(BenchmarkEnvironment.reportsDir());
        run.reporter.putSection("environment", describeEnvironment());
        System.out.println("[benchmark] session " + BenchmarkEnvironment.SESSION + ", report " + run.reporter.reportPath());
        return run;
    }

    /** The run's reporter (for stats and extra sections). */
    SandboxLatencyReporter reporter() {
        return reporter;
    }

    /**
     * Starts recording what {@code provider} does from now on (its earlier starts, e.g. warm-up, stay
     * unrecorded): the reporter and the meters subscribe to it.
     */
    void record(SandboxProvider provider) {
        provider.addListener(reporter);
        provider.addListener(metrics);
    }

    /** The listeners that record, for a provider built with them from the start. */
    List<SandboxLifecycleListener> listeners() {
        return List.of(reporter, metrics);
    }

    /** An extra report section (peers, memory, concurrency...). */
    void putSection(String key, Object value) {
        reporter.putSection(key, value);
    }

    /**
     * Reports a warm-up sample of {@code series} (e.g. {@code "docker warm docker-driver"}) in the report's
     * {@value #WARMUP_SECTION} section: shown, so that a slow first start is visible, but never part of the
     * measured series that the targets judge and the peers are compared with.
     */
    synchronized void warmup(String series, Measurements.Sample sample) {
        warmups.computeIfAbsent(series, k -> new ArrayList<>()).add(sample);
        List<WarmupSeries> section = new ArrayList<>();
        warmups.forEach((name, samples) -> section.add(new WarmupSeries(name, List.copyOf(samples), samples.size())));
        reporter.putSection(WARMUP_SECTION, section);
        System.out.println("[benchmark] warm-up " + series + ": " + Measurements.fmt(sample.durationMs()) + " (not measured)");
    }

    /** One entry of the {@value #WARMUP_SECTION} section. */
    record WarmupSeries(String name, List<Measurements.Sample> samples, int count) {
    }

    /** Prints a one-line summary now and again at the end of the run. */
    synchronized void summary(String line) {
        System.out.println("[benchmark] " + line);
        summaries.add(line);
    }

    /**
     * Writes the final report and {@code metrics.prom}; called by JUnit after the last test of the run. The
     * reporter's close() bounds its own last write, so it is called here directly. A report that could not be
     * written is said loudly and thrown after the scrape text is written (the main command then finds the
     * report missing or stale and says so).
     */
    @Override
    public void close() {
        RuntimeException reportFailure = null;
        try {
            reporter.close();
        } catch (RuntimeException e) {
            System.out.println("[benchmark] ERROR: " + e.getMessage() + "; " + reporter.reportPath() + " may be stale");
            reportFailure = e;
        }
        try {
            Path prom = PrometheusText.write(registry, reportsDir.resolve(METRICS_FILE));
            synchronized (this) {
                System.out.println("[benchmark] ---- summary of the run ----");
                summaries.forEach(s -> System.out.println("[benchmark] " + s));
            }
            System.out.println("[benchmark] wrote " + reporter.reportPath() + " and " + prom);
        } catch (IOException e) {
            UncheckedIOException failure = new UncheckedIOException("writing " + reportsDir.resolve(METRICS_FILE) + " failed", e);
            if (reportFailure != null) {
                failure.addSuppressed(reportFailure);
            }
            throw failure;
        } finally {
            registry.close();
        }
        if (reportFailure != null) {
            throw reportFailure;
        }
    }

    private static Map<String, Object> describeEnvironment() {
        Map<String, Object> env = new LinkedHashMap<>();
        try (DockerClient docker = BenchmarkEnvironment.dockerClient()) {
            Version v = docker.versionCmd().exec();
            env.put("dockerEngine", v.getVersion());
            env.put("dockerApi", v.getApiVersion());
        } catch (IOException | RuntimeException e) {
            env.put("dockerEngine", "unknown (" + e + ")");
        }
        env.put("cpus", Runtime.getRuntime().availableProcessors());
        env.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        env.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        env.put("realisticImage", BenchmarkEnvironment.REALISTIC_IMAGE);
        env.put("coldImage", BenchmarkEnvironment.COLD_IMAGE);
        env.put("session", BenchmarkEnvironment.SESSION);
        return env;
    }
}
