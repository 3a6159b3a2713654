package dev.devs.sandbox.benchmarks.analyzer;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * What the analyzer reads from a report: the durations of every series in the order they were taken, and
 * what it needs to label them. Percentiles are not taken from the report; they are recomputed from these
 * samples with {@link dev.devs.sandbox.metrics.Percentiles}.
 *
 * @param path        the file it was read from
 * @param generatedAt the report's {@code generatedAt}, or null
 * @param series      provisioning series (at least one)
 * @param stops       stop series, possibly empty
 * @param peers       peer baselines from the {@code peers} section, possibly empty
 * @param skippedRuntimes runtimes the benchmark did not measure, and why ({@code skippedRuntimes} section), possibly empty
 * @param engines     the engines of the run ({@code engines} section), the baseline first, possibly empty
 * @param skippedEngines engines the benchmark did not measure, and why ({@code skippedEngines} section), possibly empty
 * @param bursts      the bursts ({@code burst} section: one entry per engine and size), possibly empty
 */
record LatencyReport(Path path, String generatedAt, List<Series> series, List<Stops> stops, List<Peer> peers,
                     java.util.Map<String, String> skippedRuntimes, List<Engine> engines,
                     java.util.Map<String, String> skippedEngines, List<Burst> bursts, List<Exec> execs) {

    /**
     * One command of the report's {@code exec} section: the driver's {@code Sandbox.exec} and raw engine exec in the same
     * rounds on one sandbox of {@code engine}, and the path the driver's commands took ({@code channel} or {@code engine}).
     */
    record Exec(String engine, String command, String path, List<Double> driverMs, List<Double> engineMs) {
    }

    LatencyReport {
        Objects.requireNonNull(path, "path");
        series = List.copyOf(series);
        stops = List.copyOf(stops);
        peers = List.copyOf(peers);
        skippedRuntimes = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(skippedRuntimes));
        engines = List.copyOf(engines);
        skippedEngines = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(skippedEngines));
        bursts = List.copyOf(bursts);
    }

    /**
     * One engine's bursts of one size: the driver's and the raw flood's starts, pooled over the bursts of each side.
     *
     * @param firstFailures the driver's first failure messages, for the verdict's "why"
     */
    record Burst(String engine, int size, BurstSide driver, BurstSide raw, List<String> firstFailures) {
    }

    /**
     * One side of a burst: how many starts were attempted and failed, the successes' durations, the throughput.
     *
     * @param heapPeakMb heap growth during the burst (garbage included), null when not reported
     */
    record BurstSide(int attempted, int failed, List<Double> readyMs, Double startsPerSecond, Double heapPeakMb,
                     Double queuedP50Ms, Double queuedP95Ms) {
    }

    /**
     * One (driver, start type).
     *
     * @param reportedP95 the report's own {@code p95Ms}, only to warn when it disagrees with the samples
     */
    record Series(String driver, String startType, List<Double> samples, long count, long failures,
                  String endpoint, String runtime, String image, Double reportedP95) {
        Series {
            samples = List.copyOf(samples);
        }

        String name() {
            return driver + " " + startType;
        }
    }

    /** Stops of one driver; runtime and endpoint as for {@link Series}. */
    record Stops(String driver, List<Double> samples, long stopped, long killed, String runtime, String endpoint,
                 Double reportedP95) {
        Stops {
            samples = List.copyOf(samples);
        }
    }

    /**
     * One peer baseline ({@code raw-engine-api}, {@code docker-cli}, {@code testcontainers}, ...).
     *
     * @param engine the engine it ran on, named as our driver there: {@code docker} (also when the report says none)
     *               or e.g. {@code podman}; it is compared with that driver's warm series
     */
    record Peer(String name, String engine, String description, String image, List<Double> samples, Double reportedP95) {
        Peer {
            samples = List.copyOf(samples);
        }
    }

    /**
     * An engine of the run: our driver's name on it, its address and version, and the stops (ms) of our sandboxes
     * on its default runtime in the benchmark's interleaved rounds (empty when the report has none). The first of the
     * report's list is the baseline the others are compared with (dockerd, driver {@code docker}).
     */
    record Engine(String driver, String host, String version, List<Double> interleavedStopsMs) {
        Engine {
            interleavedStopsMs = List.copyOf(interleavedStopsMs);
        }
    }
}
