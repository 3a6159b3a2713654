/**
 * Sandbox latency as numbers: {@link dev.devs.sandbox.metrics.SandboxLatencyReporter} (rolling windows per
 * driver and start type, the JSON report {@code .devs/reports/sandbox_latency_benchmark.json}),
 * {@link dev.devs.sandbox.metrics.Percentiles} (the project's one nearest-rank definition) and
 * {@link dev.devs.sandbox.metrics.SandboxMetrics} (Micrometer meters with the Prometheus names; the host picks its
 * registry: this module depends on {@code micrometer-core} only).
 *
 * <p>Both the reporter and the meters are {@link dev.devs.sandbox.SandboxLifecycleListener}s: subscribe them
 * to every {@link dev.devs.sandbox.SandboxProvider} whose sandboxes should count. Neither does I/O on the
 * provider's thread.
 *
 * <p>Nullness: nothing is null unless its type says {@code @Nullable}.
 */
@NullMarked
package dev.devs.sandbox.metrics;

import org.jspecify.annotations.NullMarked;
