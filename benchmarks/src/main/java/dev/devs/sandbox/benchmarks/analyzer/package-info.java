/**
 * The report analyzer behind {@code scripts/analyze_sandbox_latency.sh}: reads a sandbox latency report,
 * recomputes every percentile from its samples with {@link dev.devs.sandbox.metrics.Percentiles}, prints the
 * table with targets and verdicts, draws the chart and exits 0 / 1 / 2. Entry point:
 * {@link dev.devs.sandbox.benchmarks.analyzer.AnalyzeLatencyReport}.
 */
package dev.devs.sandbox.benchmarks.analyzer;
