package dev.devs.sandbox.benchmarks.analyzer;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * The report analyzer, run by {@code scripts/analyze_sandbox_latency.sh [report.json]}.
 *
 * <p>Reads a sandbox latency report (default {@code .devs/reports/sandbox_latency_benchmark.json}), prints
 * n / P50 / P95 / P99 / target / verdict for every provisioning series and the stop series, the series on another
 * runtime (runsc / runc) or another engine (podman / docker, from the report's {@code engines} section) with their
 * ratio, the peers with our warm P50 and P95 on the peer's engine as a ratio to each, and draws the chart next to the report
 * ({@code sandbox_latency_benchmark.png}). Percentiles are recomputed from the samples with the project's one
 * implementation, {@link dev.devs.sandbox.metrics.Percentiles}.
 *
 * <p>Exit codes: <b>0</b> every P95 within its target ({@link dev.devs.sandbox.benchmarks.LatencyTargets}: Docker
 * cold, Docker warm, WebContainer, stops); <b>1</b> a P95 over its target, or a series whose every start failed; <b>2</b> the report is
 * missing, empty or malformed (or the arguments are wrong), with a one-line reason on stderr.
 *
 * <p>A series measured against a test stand-in of a hosted runtime (WebContainer's, {@code runtime=test-stand-in})
 * is shown with its P95 and target and the verdict {@code NOT JUDGED}: it never changes the exit code.
 */
public final class AnalyzeLatencyReport {

    /** The report read when no path is given (relative to the working directory). */
    public static final Path DEFAULT_REPORT = Path.of(".devs", "reports", "sandbox_latency_benchmark.json");

    static final int OK = 0;
    static final int OVER_TARGET = 1;
    static final int BAD_REPORT = 2;

    private static final String USAGE = "usage: analyze_sandbox_latency.sh [report.json] [--chart FILE.png | --no-chart]";

    private AnalyzeLatencyReport() {
    }

    public static void main(String[] args) {
        // Before any AWT class loads: the chart is drawn off-screen, with or without a display.
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
        System.exit(run(args, System.out, System.err));
    }

    /** Everything {@link #main} does except exiting; returns the exit code. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        Path report = null;
        Path chart = null;
        boolean drawChart = true;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            switch (arg) {
                case "-h", "--help" -> {
                    out.println(USAGE);
                    out.println("Exit 0: every P95 within target; 1: a P95 over target; 2: report missing, empty or malformed.");
                    return OK;
                }
                case "--no-chart" -> drawChart = false;
                case "--chart" -> {
                    if (i + 1 >= args.length) {
                        return fail(err, "--chart needs a file name; " + USAGE);
                    }
                    chart = Path.of(args[++i]);
                }
                default -> {
                    if (arg.startsWith("-")) {
                        return fail(err, "unknown option '" + arg + "'; " + USAGE);
                    }
                    if (report != null) {
                        return fail(err, "more than one report given ('" + report + "', '" + arg + "'); " + USAGE);
                    }
                    report = Path.of(arg);
                }
            }
        }
        if (report == null) {
            // The script passes the project's own report directory, so that it works from any directory.
            String fromScript = System.getProperty("devs.analyzer.defaultReport");
            report = fromScript == null || fromScript.isBlank() ? DEFAULT_REPORT : Path.of(fromScript);
        }
        if (chart == null) {
            chart = defaultChart(report);
        }

        LatencyReport parsed;
        try {
            parsed = ReportReader.read(report);
        } catch (MalformedReportException e) {
            return fail(err, e.getMessage());
        }
        Analysis analysis = Analysis.of(parsed);
        Table.print(analysis, out);
        if (drawChart) {
            try {
                LatencyChart.write(analysis, chart);
                out.println("chart: " + chart);
            } catch (IOException | RuntimeException e) {
                // The verdict stands without the picture; say so loudly, but do not turn it into "bad report".
                err.println("analyze_sandbox_latency: warning: the chart " + chart + " was not written: " + e);
            }
        }
        return analysis.exitCode() == 0 ? OK : OVER_TARGET;
    }

    /** {@code x/name.json} -> {@code x/name.png}. */
    static Path defaultChart(Path report) {
        String name = report.getFileName().toString();
        String base = name.endsWith(".json") ? name.substring(0, name.length() - ".json".length()) : name;
        return report.resolveSibling(base + ".png");
    }

    private static int fail(PrintStream err, String reason) {
        // One line, whatever the reason contains: CI logs and the main command quote it as is.
        err.println("analyze_sandbox_latency: " + reason.replaceAll("\\s*[\\r\\n]+\\s*", " "));
        return BAD_REPORT;
    }
}
