package dev.devs.sandbox.benchmarks.analyzer;

import dev.devs.sandbox.StartType;
import dev.devs.sandbox.metrics.LatencyTargets;
import dev.devs.sandbox.metrics.Percentiles;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;

/**
 * The verdict on a report: every series' percentiles recomputed from its samples with the project's one
 * {@link Percentiles} implementation, compared with the project's {@link LatencyTargets} (a P95 bound per series).
 */
final class Analysis {

    enum Kind { SERIES, STOPS, PEER }

    enum Verdict {
        OK("OK"), OVER("OVER"), NO_TARGET("-"), ALL_FAILED("ALL FAILED"), EMPTY("no samples");

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

    /** Our Docker warm P50 and P95 divided by a peer's. */
    record PeerRatio(String peer, OptionalDouble p50Ratio, OptionalDouble p95Ratio) {
    }

    /**
     * A series on another runtime than {@link #BASELINE_RUNTIME} beside the baseline series of the same driver and
     * start type, from the same run: its P50 and P95 divided by the baseline's (e.g. runsc / runc).
     */
    record RuntimeRatio(Row row, String runtime, Row baseline, OptionalDouble p50Ratio, OptionalDouble p95Ratio) {
    }

    /** The runtime other runtimes are compared with: the engine's default OCI runtime. */
    static final String BASELINE_RUNTIME = "runc";

    final LatencyReport report;
    final List<Row> series = new ArrayList<>();
    final List<Row> stops = new ArrayList<>();
    final List<Row> peers = new ArrayList<>();
    final List<PeerRatio> ratios = new ArrayList<>();
    final List<RuntimeRatio> runtimeRatios = new ArrayList<>();
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
        // Peers start containers on the engine's default runtime: they are compared with that series.
        Row dockerWarm = a.series.stream().filter(r -> r.label().equals("docker warm")
                || r.label().equals("docker warm [" + BASELINE_RUNTIME + "]")).findFirst()
                .orElse(a.series.stream().filter(r -> r.label().startsWith("docker warm")).findFirst().orElse(null));
        for (LatencyReport.Peer p : report.peers()) {
            Row row = row(Kind.PEER, "peer " + p.name(), p.samples(), OptionalDouble.empty(), 0,
                    join(p.description(), p.image() == null ? null : "image " + p.image()), false);
            a.peers.add(row);
            a.checkReported(row, p.reportedP95());
            if (dockerWarm != null) {
                a.ratios.add(new PeerRatio(p.name(), ratio(dockerWarm.p50(), row.p50()), ratio(dockerWarm.p95(), row.p95())));
            }
        }
        if (!report.peers().isEmpty() && dockerWarm == null) {
            a.warnings.add("the report has peers but no docker warm series to compare them with");
        }
        return a;
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
                    Row row = series.get(i);
                    Row base = series.get(j);
                    runtimeRatios.add(new RuntimeRatio(row, s.runtime(), base, ratio(row.p50(), base.p50()), ratio(row.p95(), base.p95())));
                }
            }
        }
    }

    /** The ratio of {@code row} to its runtime baseline, if it has one. */
    java.util.Optional<RuntimeRatio> runtimeRatio(Row row) {
        return runtimeRatios.stream().filter(r -> r.row() == row).findFirst();
    }

    /** 0 when every P95 with a target is within it, 1 otherwise. */
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
        } else {
            verdict = p95.getAsDouble() <= target.getAsDouble() ? Verdict.OK : Verdict.OVER;
        }
        return new Row(kind, label, samples, p50, p95, p99, target, verdict, notes == null ? "" : notes, standIn);
    }

    private void judge(Row row) {
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
