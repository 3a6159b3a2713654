package dev.devs.sandbox.benchmarks.analyzer;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;

/** Prints an {@link Analysis} as plain-text tables: what a person reads in a terminal or a CI log. */
final class Table {

    private Table() {
    }

    static void print(Analysis a, PrintStream out) {
        LatencyReport r = a.report;
        out.println("Sandbox latency report " + r.path() + (r.generatedAt() == null ? "" : " (generated " + r.generatedAt() + ")"));
        out.println("Percentiles: nearest rank, recomputed here from each series' samples; the verdict holds P95 to the target.");
        int width = labelWidth(a);

        out.println();
        header(out, width, "provisioning", "target", "verdict");
        for (Analysis.Row row : a.series) {
            line(out, width, row, target(row.targetMs()), row.verdict().label);
        }
        if (!a.runtimeRatios.isEmpty()) {
            out.println();
            out.println("Runtimes: the same starts on another OCI runtime, from the same run; ratio = its P50 (P95) / "
                    + Analysis.BASELINE_RUNTIME + "'s.");
            header(out, width, "runtime", "P50 ratio", "P95 ratio");
            ratios(out, width, a.runtimeRatios);
        }
        if (!r.skippedRuntimes().isEmpty()) {
            out.println();
            r.skippedRuntimes().forEach((runtime, why) -> out.println("runtime " + runtime + " not measured: " + why));
        }
        if (!a.stops.isEmpty()) {
            out.println();
            header(out, width, "stops", "target", "verdict");
            for (Analysis.Row row : a.stops) {
                line(out, width, row, target(row.targetMs()), row.verdict().label);
            }
        }
        if (!a.engineRatios.isEmpty()) {
            out.println();
            out.println("Engines: the same starts and stops on another engine, interleaved in the same run; ratio = its P50 (P95) / "
                    + a.engineRatios.get(0).versus() + "'s.");
            r.engines().forEach(e -> out.println("  " + e.driver() + ": " + (e.version() == null ? "version unknown" : "version " + e.version())
                    + (e.host() == null ? "" : " at " + e.host())));
            header(out, width, "engine", "P50 ratio", "P95 ratio");
            ratios(out, width, a.engineRatios);
        }
        if (!r.skippedEngines().isEmpty()) {
            out.println();
            r.skippedEngines().forEach((engine, why) -> out.println("engine " + engine + " not measured: " + why));
        }
        if (!a.peers.isEmpty()) {
            out.println();
            out.println("Peers: the same container started other ways, in the same run; ratio = our warm P50 (P95) on the"
                    + " peer's engine / the peer's.");
            header(out, width, "peer", "P50 ratio", "P95 ratio");
            for (Analysis.Row row : a.peers) {
                Analysis.PeerRatio ratio = a.peerRatio(row);
                line(out, width, row, ratio(ratio.p50Ratio()), ratio(ratio.p95Ratio()));
            }
        }
        if (!a.bursts.isEmpty()) {
            out.println();
            out.println("Bursts: starts at once, our driver against a raw flood of the same size in the same run; percentiles over"
                    + " every attempted start (a failure counts as slower than any success); any failed start fails the verdict.");
            for (Analysis.BurstLine b : a.bursts) {
                out.println(burstLine(b));
            }
        }
        if (!a.report.execs().isEmpty()) {
            out.println();
            out.println("Exec: Sandbox.exec against raw engine exec in the same rounds on one sandbox; ratio = driver / engine;"
                    + " targets (report only) exec true P50 <= 2 ms and P95 <= 5 ms, 64 KiB P50 <= 5 ms.");
            for (LatencyReport.Exec e : a.report.execs()) {
                out.println(execLine(e));
            }
        }
        if (!a.warnings.isEmpty()) {
            out.println();
            a.warnings.forEach(w -> out.println("warning: " + w));
        }
        out.println();
        if (a.failures.isEmpty()) {
            out.println("verdict: every P95 is within its target");
        } else {
            out.println("verdict: " + (a.failures.size() == 1 ? "1 series or burst misses its target" : a.failures.size()
                    + " series or bursts miss their targets"));
            a.failures.forEach(f -> out.println("  " + f));
        }
    }

    static String execLine(LatencyReport.Exec e) {
        java.util.OptionalDouble d50 = dev.devs.sandbox.metrics.Percentiles.of(e.driverMs(), 50);
        java.util.OptionalDouble d95 = dev.devs.sandbox.metrics.Percentiles.of(e.driverMs(), 95);
        java.util.OptionalDouble r50 = dev.devs.sandbox.metrics.Percentiles.of(e.engineMs(), 50);
        java.util.OptionalDouble r95 = dev.devs.sandbox.metrics.Percentiles.of(e.engineMs(), 95);
        return String.format(java.util.Locale.ROOT, "  %-8s %-6s path %-7s n=%d driver P50 %s P95 %s; engine P50 %s P95 %s; ratio %s / %s",
                e.engine(), e.command(), e.path() == null ? "?" : e.path(), e.driverMs().size(), execMs(d50), execMs(d95),
                execMs(r50), execMs(r95), execRatio(d50, r50), execRatio(d95, r95));
    }

    private static String execMs(java.util.OptionalDouble v) {
        return v.isPresent() ? String.format(java.util.Locale.ROOT, "%.1f ms", v.getAsDouble()) : "undefined";
    }

    private static String execRatio(java.util.OptionalDouble ours, java.util.OptionalDouble theirs) {
        return ours.isPresent() && theirs.isPresent() && theirs.getAsDouble() > 0
                ? String.format(java.util.Locale.ROOT, "%.3fx", ours.getAsDouble() / theirs.getAsDouble()) : "-";
    }

    static String burstLine(Analysis.BurstLine b) {
        LatencyReport.BurstSide d = b.burst().driver();
        LatencyReport.BurstSide r = b.burst().raw();
        return String.format(java.util.Locale.ROOT, "  %s burst of %d: driver %d attempted, %d ready, %d failed, %s, %s starts/s%s%s;"
                        + " raw %d attempted, %d failed, %s, %s starts/s; P95 driver/raw %s (target <= %.2f: %s), starts/s driver/raw %s"
                        + " (target >= %.2f: %s)",
                b.burst().engine(), b.burst().size(), d.attempted(), d.attempted() - d.failed(), d.failed(),
                pcts(b.driverP50(), b.driverP95(), b.driverP99(), d), num(d.startsPerSecond()),
                d.heapPeakMb() == null ? "" : String.format(java.util.Locale.ROOT, ", heap peak +%.1f MB (target < %.0f: %s)", d.heapPeakMb(),
                        Analysis.BURST_HEAP_TARGET_MB, d.heapPeakMb() < Analysis.BURST_HEAP_TARGET_MB ? "ok" : "MISSED"),
                d.queuedP95Ms() == null ? "" : ", queued P50/P95 " + num(d.queuedP50Ms()) + " / " + num(d.queuedP95Ms()) + " ms",
                r.attempted(), r.failed(), pcts(b.rawP50(), b.rawP95(), b.rawP99(), r), num(r.startsPerSecond()),
                burstRatio(b.p95Ratio()), Analysis.BURST_P95_RATIO_TARGET,
                b.p95Ratio().isPresent() && b.p95Ratio().getAsDouble() <= Analysis.BURST_P95_RATIO_TARGET ? "ok" : "MISSED",
                burstRatio(b.throughputRatio()), Analysis.BURST_THROUGHPUT_RATIO_TARGET,
                b.throughputRatio().isPresent() && b.throughputRatio().getAsDouble() >= Analysis.BURST_THROUGHPUT_RATIO_TARGET ? "ok" : "MISSED");
    }

    private static String pcts(java.util.OptionalDouble p50, java.util.OptionalDouble p95, java.util.OptionalDouble p99, LatencyReport.BurstSide side) {
        if (p95.isEmpty()) {
            return "P50 " + burstMs(p50) + ", P95 undefined because " + side.failed() + " of " + side.attempted() + " (more than 5 %) failed";
        }
        return "P50 " + burstMs(p50) + " P95 " + burstMs(p95) + " P99 " + burstMs(p99);
    }

    private static String burstMs(java.util.OptionalDouble v) {
        return v.isPresent() ? String.format(java.util.Locale.ROOT, "%.0f ms", v.getAsDouble()) : "undefined";
    }

    private static String num(Double v) {
        return v == null ? "-" : String.format(java.util.Locale.ROOT, "%.1f", v);
    }

    private static String burstRatio(java.util.OptionalDouble v) {
        return v.isPresent() ? String.format(java.util.Locale.ROOT, "x%.2f", v.getAsDouble()) : "undefined";
    }

    /** Each ratio as its baseline's row (1.00x) then its own. */
    private static void ratios(PrintStream out, int width, List<Analysis.Ratio> ratios) {
        for (Analysis.Ratio rr : ratios) {
            line(out, width, rr.baseline(), "1.00x", "1.00x");
            line(out, width, rr.row(), ratio(rr.p50Ratio()), ratio(rr.p95Ratio()));
        }
    }

    private static int labelWidth(Analysis a) {
        List<Analysis.Row> all = new ArrayList<>(a.series);
        all.addAll(a.stops);
        all.addAll(a.peers);
        a.engineRatios.forEach(r -> all.add(r.baseline())); // an engine's baseline may be a row of its own (interleaved stops)
        int w = "provisioning".length();
        for (Analysis.Row row : all) {
            w = Math.max(w, displayLabel(row).length());
        }
        return w;
    }

    private static String displayLabel(Analysis.Row row) {
        return row.kind() == Analysis.Kind.PEER ? row.label().substring("peer ".length()) : row.label();
    }

    private static void header(PrintStream out, int width, String first, String col7, String col8) {
        out.println(String.format(Locale.ROOT, "%-" + width + "s %5s %10s %10s %10s %10s %-10s %s",
                first, "n", "P50 ms", "P95 ms", "P99 ms", col7, col8, "notes").stripTrailing());
    }

    private static void line(PrintStream out, int width, Analysis.Row row, String col7, String col8) {
        out.println(String.format(Locale.ROOT, "%-" + width + "s %5d %10s %10s %10s %10s %-10s %s",
                displayLabel(row), row.n(), ms(row.p50()), ms(row.p95()), ms(row.p99()), col7, col8, row.notes()).stripTrailing());
    }

    /** Milliseconds with one decimal, or "-" when there is no value. */
    static String ms(OptionalDouble v) {
        return v.isPresent() ? String.format(Locale.ROOT, "%.1f", v.getAsDouble()) : "-";
    }

    static String target(OptionalDouble targetMs) {
        if (targetMs.isEmpty()) {
            return "-";
        }
        double ms = targetMs.getAsDouble();
        return ms % 1000 == 0 ? String.format(Locale.ROOT, "%d s", (long) (ms / 1000)) : String.format(Locale.ROOT, "%.1f ms", ms);
    }

    static String ratio(OptionalDouble v) {
        return v.isPresent() ? String.format(Locale.ROOT, "%.2fx", v.getAsDouble()) : "-";
    }
}
