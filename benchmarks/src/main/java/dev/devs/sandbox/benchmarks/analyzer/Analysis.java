package dev.devs.sandbox.benchmarks.analyzer;

import dev.devs.sandbox.StartType;
import dev.devs.sandbox.benchmarks.LatencyTargets;
import dev.devs.sandbox.metrics.Percentiles;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalDouble;

/**
 * The verdict on a report: every series' percentiles recomputed from its samples with the project's one
 * {@link Percentiles} implementation, compared with the project's {@link LatencyTargets} (a P95 bound per series).
 */
final class Analysis {

    enum Kind { SERIES, STOPS, PEER, BURST, EXEC }

    enum Verdict {
        OK("OK"), OVER("OVER"), NO_TARGET("-"), ALL_FAILED("ALL FAILED"), EMPTY("no samples"),
        /** Measured against the test stand-in of a hosted runtime: shown beside its target, never judged by it. */
        STAND_IN("NOT JUDGED");

        final String label;

        Verdict(String label) {
            this.label = label;
        }
    }

    /** One line of the table and one group of the chart. */
    record Row(Kind kind, String label, List<Double> samples, OptionalDouble p50, OptionalDouble p95,
               OptionalDouble p99, OptionalDouble targetMs, Verdict verdict, String notes, boolean standIn) {
        int n() {
            return samples.size();
        }
    }

    /**
     * Our warm P50 and P95 on the peer's engine divided by the peer's (empty when the report has no warm series of
     * that engine's driver).
     */
    record PeerRatio(Row peer, String engine, OptionalDouble p50Ratio, OptionalDouble p95Ratio) {
    }

    /**
     * A series beside its baseline from the same run, its P50 and P95 divided by the baseline's: a series on another
     * runtime than {@link #BASELINE_RUNTIME} beside the same driver and start type on it (runsc / runc), or a series or
     * stop series on another engine beside the same on the run's first engine (podman / docker).
     *
     * @param versus what the baseline is, as the table and the chart name it ({@code runc}, {@code docker})
     */
    record Ratio(Row row, Row baseline, String versus, OptionalDouble p50Ratio, OptionalDouble p95Ratio) {
    }

    /** The runtime other runtimes are compared with: the engine's default OCI runtime. */
    static final String BASELINE_RUNTIME = "runc";

    final LatencyReport report;
    final List<Row> series = new ArrayList<>();
    final List<Row> stops = new ArrayList<>();
    final List<Row> peers = new ArrayList<>();
    final List<PeerRatio> ratios = new ArrayList<>();
    final List<Ratio> runtimeRatios = new ArrayList<>();
    final List<Ratio> engineRatios = new ArrayList<>();
    /** One sentence per series that failed its target. */
    final List<String> failures = new ArrayList<>();
    /** Things worth knowing that do not change the verdict. */
    final List<String> warnings = new ArrayList<>();

    private Analysis(LatencyReport report) {
        this.report = report;
    }

    static Analysis of(LatencyReport report) {
        Analysis a = new Analysis(report);
        for (LatencyReport.Series s : report.series()) {
            a.addSeries(s);
        }
        a.compareRuntimes();
        for (LatencyReport.Stops s : report.stops()) {
            a.addStops(s);
        }
        a.compareEngines();
        java.util.Set<String> unmatched = new java.util.TreeSet<>();
        for (LatencyReport.Peer p : report.peers()) {
            boolean firstEngine = p.engine().equals(ReportReader.DOCKER);
            Row row = row(Kind.PEER, "peer " + p.name() + (firstEngine ? "" : " [" + p.engine() + "]"), p.samples(),
                    OptionalDouble.empty(), 0, join(p.description(), p.image() == null ? null : "image " + p.image()), false);
            a.peers.add(row);
            a.checkReported(row, p.reportedP95());
            Row ours = a.warmRow(p.engine());
            if (ours == null) {
                unmatched.add(p.engine());
            }
            a.ratios.add(new PeerRatio(row, p.engine(), ours == null ? OptionalDouble.empty() : ratio(ours.p50(), row.p50()),
                    ours == null ? OptionalDouble.empty() : ratio(ours.p95(), row.p95())));
        }
        unmatched.forEach(e -> a.warnings.add("the report has peers on " + e + " but no " + e + " warm series to compare them with"));
        for (LatencyReport.Burst b : report.bursts()) {
            a.addBurst(b);
        }
        for (LatencyReport.Exec e : report.execs()) {
            String name = e.engine() + " exec " + e.command();
            a.execRows.add(row(Kind.EXEC, name + " raw engine exec", e.engineMs(), OptionalDouble.empty(), 0, "the engine's exec", false));
            a.execRows.add(row(Kind.EXEC, name + " driver", e.driverMs(), OptionalDouble.empty(), 0,
                    "path " + (e.path() == null ? "?" : e.path()), false));
        }
        return a;
    }

    /** The chart's panels of the exec section: raw engine exec, then the driver's, per engine and command (report only). */
    final List<Row> execRows = new ArrayList<>();

    /** Targets of a burst beside its raw flood (reported, not judged: the machine the benchmark runs on is shared). */
    static final double BURST_P95_RATIO_TARGET = 0.8;
    static final double BURST_THROUGHPUT_RATIO_TARGET = 0.95;
    static final double BURST_HEAP_TARGET_MB = 64;
    /** More failed than this share of a side's attempts, and its P95 is undefined. */
    static final double UNDEFINED_P95_FAILED_SHARE = 0.05;

    /** One engine's bursts of one size, both sides judged over every attempted start. */
    record BurstLine(LatencyReport.Burst burst, OptionalDouble driverP50, OptionalDouble driverP95, OptionalDouble driverP99,
                     OptionalDouble rawP50, OptionalDouble rawP95, OptionalDouble rawP99, OptionalDouble p95Ratio,
                     OptionalDouble throughputRatio) {
    }

    final List<BurstLine> bursts = new ArrayList<>();
    /** The chart's panels of the bursts: each side's successes, with percentiles over every attempted start. */
    final List<Row> burstRows = new ArrayList<>();

    private void addBurst(LatencyReport.Burst b) {
        LatencyReport.BurstSide d = b.driver();
        LatencyReport.BurstSide r = b.raw();
        BurstLine line = new BurstLine(b, overAttempts(d, 50), overAttempts(d, 95), overAttempts(d, 99),
                overAttempts(r, 50), overAttempts(r, 95), overAttempts(r, 99),
                ratio(overAttempts(d, 95), overAttempts(r, 95)),
                d.startsPerSecond() == null || r.startsPerSecond() == null || r.startsPerSecond() == 0 ? OptionalDouble.empty()
                        : OptionalDouble.of(d.startsPerSecond() / r.startsPerSecond()));
        bursts.add(line);
        String name = b.engine() + " burst of " + b.size();
        burstRows.add(burstRow(b.engine() + " burst " + b.size() + " raw", r, line.rawP50(), line.rawP95(), line.rawP99()));
        burstRows.add(burstRow(b.engine() + " burst " + b.size() + " driver", d, line.driverP50(), line.driverP95(), line.driverP99()));
        if (d.failed() > 0) {
            failures.add(name + ": " + d.failed() + " of " + d.attempted() + " driver starts failed"
                    + (b.firstFailures().isEmpty() ? "" : " (first: " + b.firstFailures().get(0) + ")"));
        }
        if (r.failed() > 0) {
            warnings.add(name + ": " + r.failed() + " of " + r.attempted() + " raw flood starts failed (the peer, not judged)");
        }
    }

    private static Row burstRow(String label, LatencyReport.BurstSide side, OptionalDouble p50, OptionalDouble p95, OptionalDouble p99) {
        String notes = side.failed() + " of " + side.attempted() + " failed" + (p95.isEmpty() ? ", P95 undefined" : "");
        return new Row(Kind.BURST, label, side.readyMs(), p50, p95, p99, OptionalDouble.empty(),
                side.failed() > 0 ? Verdict.OVER : Verdict.NO_TARGET, notes, false);
    }

    /**
     * Nearest-rank percentile over every attempted start, a failed one counting as slower than any success; empty when
     * it falls on a failure (then more than {@code 100 - p} % failed, and the percentile is undefined).
     */
    static OptionalDouble overAttempts(LatencyReport.BurstSide side, double p) {
        int n = side.readyMs().size() + side.failed();
        if (n == 0) {
            return OptionalDouble.empty();
        }
        double[] all = new double[n];
        for (int i = 0; i < side.readyMs().size(); i++) {
            all[i] = side.readyMs().get(i);
        }
        for (int i = side.readyMs().size(); i < n; i++) {
            all[i] = Double.POSITIVE_INFINITY;
        }
        java.util.Arrays.sort(all);
        OptionalDouble v = Percentiles.ofSorted(all, n, p);
        return v.isPresent() && Double.isInfinite(v.getAsDouble()) ? OptionalDouble.empty() : v;
    }

    /**
     * Our warm series on the engine where {@code driver} runs, which that engine's peers are compared with: the one on
     * the engine's default runtime (peers start containers there), else the first warm series of that driver.
     */
    Row warmRow(String driver) {
        String warm = driver + " warm";
        return series.stream().filter(r -> r.label().equals(warm) || r.label().equals(warm + " [" + BASELINE_RUNTIME + "]"))
                .findFirst().orElse(series.stream().filter(r -> r.label().startsWith(warm)).findFirst().orElse(null));
    }

    /**
     * With an {@code engines} section of two or more engines: every series of a later engine's driver beside the
     * series of the first engine's driver with the same start type and runtime, or, on a runtime the first engine has
     * no series of (Podman reports its default as {@code oci}), on {@link #BASELINE_RUNTIME}; and its stops beside the
     * first's (e.g. podman warm / docker warm, podman stop / docker stop), the first's stops taken from the same
     * interleaved rounds when the report's {@code engines} section has them ({@code interleavedStopsMs}).
     */
    private void compareEngines() {
        List<LatencyReport.Engine> engines = report.engines();
        if (engines.size() < 2) {
            return;
        }
        String base = engines.get(0).driver();
        List<LatencyReport.Series> all = report.series();
        for (LatencyReport.Engine engine : engines.subList(1, engines.size())) {
            for (int i = 0; i < all.size(); i++) {
                LatencyReport.Series s = all.get(i);
                int same = -1;
                int onDefault = -1;
                for (int j = 0; j < all.size() && s.driver().equals(engine.driver()); j++) {
                    LatencyReport.Series b = all.get(j);
                    if (b.driver().equals(base) && b.startType().equals(s.startType())) {
                        same = Objects.equals(b.runtime(), s.runtime()) ? j : same;
                        onDefault = BASELINE_RUNTIME.equals(b.runtime()) ? j : onDefault;
                    }
                }
                // Podman names its default runtime "oci" (runc here): beside the first engine's default, runc.
                int j = same >= 0 ? same : onDefault;
                if (j >= 0) {
                    engineRatios.add(ratioOf(series.get(i), series.get(j), base));
                }
            }
            // The first engine's stop series holds every stop of the run on it; when the report has its stops from the
            // interleaved rounds, those are the baseline (the later engine's series holds only those rounds' stops).
            List<Double> baseStops = engines.get(0).interleavedStopsMs();
            Row interleaved = baseStops.isEmpty() ? null : row(Kind.STOPS, base + " stop [" + BASELINE_RUNTIME + "], interleaved rounds",
                    baseStops, millis(LatencyTargets.stop()), 0, "stops of the same rounds as " + engine.driver() + "'s", false);
            for (int i = 0; i < report.stops().size(); i++) {
                for (int j = 0; j < report.stops().size() && report.stops().get(i).driver().equals(engine.driver()); j++) {
                    if (report.stops().get(j).driver().equals(base)) {
                        engineRatios.add(ratioOf(stops.get(i), interleaved != null ? interleaved : stops.get(j), base));
                    }
                }
            }
        }
    }

    private static Ratio ratioOf(Row row, Row baseline, String versus) {
        return new Ratio(row, baseline, versus, ratio(row.p50(), baseline.p50()), ratio(row.p95(), baseline.p95()));
    }

    /**
     * For every series whose runtime is named and is not {@link #BASELINE_RUNTIME}, its ratio to the baseline
     * series of the same driver and start type, if the report has one (then both were measured in the same run).
     */
    private void compareRuntimes() {
        List<LatencyReport.Series> all = report.series();
        for (int i = 0; i < all.size(); i++) {
            LatencyReport.Series s = all.get(i);
            if (s.runtime() == null || s.runtime().equals(BASELINE_RUNTIME)) {
                continue;
            }
            for (int j = 0; j < all.size(); j++) {
                LatencyReport.Series b = all.get(j);
                if (b.driver().equals(s.driver()) && b.startType().equals(s.startType()) && BASELINE_RUNTIME.equals(b.runtime())) {
                    runtimeRatios.add(ratioOf(series.get(i), series.get(j), BASELINE_RUNTIME));
                }
            }
        }
    }

    /** The ratios of {@code row} to its baselines (runtime, engine), none when it is no other series' peer. */
    List<Ratio> ratiosOf(Row row) {
        List<Ratio> out = new ArrayList<>();
        runtimeRatios.stream().filter(r -> r.row() == row).forEach(out::add);
        engineRatios.stream().filter(r -> r.row() == row).forEach(out::add);
        return out;
    }

    /** The ratio of our warm series to the peer of {@code row}. */
    PeerRatio peerRatio(Row peer) {
        return ratios.stream().filter(r -> r.peer() == peer).findFirst().orElseThrow();
    }

    /** 0 when every P95 with a target is within it (series measured against a stand-in are not judged), 1 otherwise. */
    int exitCode() {
        return failures.isEmpty() ? 0 : 1;
    }

    /**
     * The target of a provisioning series, if {@link LatencyTargets} sets one. A start type this version does
     * not know (a report from a newer one) has none: it is shown, not judged.
     */
    static OptionalDouble targetMs(String driver, String startType) {
        StartType type;
        try {
            type = StartType.fromWireName(startType);
        } catch (IllegalArgumentException unknown) {
            return OptionalDouble.empty();
        }
        return LatencyTargets.provisioning(driver, type).map(Analysis::millis).orElse(OptionalDouble.empty());
    }

    private static OptionalDouble millis(Duration d) {
        return OptionalDouble.of(d.toMillis());
    }

    private void addSeries(LatencyReport.Series s) {
        boolean standIn = "test-stand-in".equals(s.runtime());
        String label = s.name() + runtimeSuffix(s.driver(), s.runtime());
        List<String> notes = new ArrayList<>();
        if (standIn) {
            notes.add("TEST STAND-IN for StackBlitz's runtime, not StackBlitz");
        }
        if (s.endpoint() != null) {
            notes.add("endpoint " + s.endpoint());
        }
        if (s.image() != null) {
            notes.add("image " + s.image());
        }
        if (!s.samples().isEmpty() && s.count() > s.samples().size()) {
            notes.add("last " + s.samples().size() + " of " + s.count() + " starts");
        }
        if (s.failures() > 0) {
            notes.add(s.failures() + (s.failures() == 1 ? " failed start" : " failed starts"));
        }
        Row row = row(Kind.SERIES, label, s.samples(), targetMs(s.driver(), s.startType()), s.failures(),
                String.join("; ", notes), standIn);
        series.add(row);
        checkReported(row, s.reportedP95());
        judge(row);
    }

    private void addStops(LatencyReport.Stops s) {
        boolean standIn = "test-stand-in".equals(s.runtime());
        String label = s.driver() + " stop" + runtimeSuffix(s.driver(), s.runtime());
        List<String> notes = new ArrayList<>();
        if (s.stopped() + s.killed() > 0) {
            notes.add("stopped " + s.stopped() + ", killed " + s.killed());
        }
        if (standIn) {
            notes.add("TEST STAND-IN runtime, not StackBlitz");
        }
        Row row = row(Kind.STOPS, label, s.samples(), millis(LatencyTargets.stop()), 0, String.join("; ", notes), standIn);
        stops.add(row);
        checkReported(row, s.reportedP95());
        judge(row);
    }

    /** " [runtime]" for WebContainer (or any driver that names its runtime), else "". */
    private static String runtimeSuffix(String driver, String runtime) {
        if (driver.equals("webcontainer") || runtime != null) {
            // The runtime is part of the name: numbers from the stand-in must never pass for StackBlitz's.
            return " [" + (runtime == null ? "runtime unknown" : runtime) + "]";
        }
        return "";
    }

    private static Row row(Kind kind, String label, List<Double> samples, OptionalDouble target, long failures,
                           String notes, boolean standIn) {
        OptionalDouble p50 = Percentiles.of(samples, 50);
        OptionalDouble p95 = Percentiles.of(samples, 95);
        OptionalDouble p99 = Percentiles.of(samples, 99);
        Verdict verdict;
        if (samples.isEmpty()) {
            verdict = failures > 0 ? Verdict.ALL_FAILED : Verdict.EMPTY;
        } else if (target.isEmpty()) {
            verdict = Verdict.NO_TARGET;
        } else if (standIn) {
            // The stand-in's speed says nothing of StackBlitz's: its P95 is reported, and the target is not applied.
            verdict = Verdict.STAND_IN;
        } else {
            verdict = p95.getAsDouble() <= target.getAsDouble() ? Verdict.OK : Verdict.OVER;
        }
        return new Row(kind, label, samples, p50, p95, p99, target, verdict, notes == null ? "" : notes, standIn);
    }

    private void judge(Row row) {
        if (row.standIn()) {
            return; // reported only: a stand-in's numbers are held to no target, not even an all-failed one
        }
        if (row.verdict() == Verdict.OVER) {
            failures.add(row.label() + ": P95 " + Table.ms(row.p95()) + " ms is over its target of "
                    + Table.target(row.targetMs()));
        } else if (row.verdict() == Verdict.ALL_FAILED && row.targetMs().isPresent()) {
            // Every start failed: there is no P95 to hold to the target, and that is not a pass.
            failures.add(row.label() + ": every start failed, no sample to hold to its target of "
                    + Table.target(row.targetMs()));
        }
    }

    private void checkReported(Row row, Double reportedP95) {
        if (reportedP95 != null && row.p95().isPresent() && Double.compare(reportedP95, row.p95().getAsDouble()) != 0) {
            warnings.add(row.label() + ": the report says p95Ms " + reportedP95 + " but its samples give "
                    + row.p95().getAsDouble() + " (shown: recomputed from the samples)");
        }
    }

    private static OptionalDouble ratio(OptionalDouble ours, OptionalDouble theirs) {
        if (ours.isEmpty() || theirs.isEmpty() || theirs.getAsDouble() == 0) {
            return OptionalDouble.empty();
        }
        return OptionalDouble.of(ours.getAsDouble() / theirs.getAsDouble());
    }

    private static String join(String a, String b) {
        if (a == null) {
            return b;
        }
        return b == null ? a : a + "; " + b;
    }
}
