package dev.devs.sandbox.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.github.dockerjava.api.DockerClient;
import dev.devs.sandbox.Sandbox;
import dev.devs.sandbox.metrics.Percentiles;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.StringJoiner;
import java.util.concurrent.ThreadLocalRandom;

/** Small shared pieces of the benchmark classes: formatting, stop checks, the peer section's records. */
final class Measurements {

    private Measurements() {
    }

    /** Milliseconds with 3 decimals (microseconds), as the report holds them. */
    static double ms(Duration d) {
        return Math.round(d.toNanos() / 1_000.0) / 1_000.0;
    }

    /** Human-readable: {@code 312.4 ms} or {@code 4.31 s}. */
    static String fmt(double ms) {
        return ms < 1_000 ? String.format(Locale.ROOT, "%.1f ms", ms) : String.format(Locale.ROOT, "%.2f s", ms / 1_000);
    }

    static String fmt(OptionalDouble ms) {
        return ms.isPresent() ? fmt(ms.getAsDouble()) : "-";
    }

    /** {@code create 12.1, start 210.3} from a sandbox's phases. */
    static String phases(Map<String, Duration> phases) {
        StringJoiner j = new StringJoiner(", ");
        phases.forEach((k, v) -> j.add(k + " " + String.format(Locale.ROOT, "%.1f", ms(v))));
        return j.toString();
    }

    /**
     * Prints one sample of a repeated benchmark, {@code [benchmark] docker cold 2/5: 4.31 s (pull 3900.2, ...)}, with
     * {@code note} (where the sample was measured) after the count when not empty.
     */
    static void printSample(String series, org.junit.jupiter.api.RepetitionInfo info, String note, Sandbox sandbox) {
        System.out.printf("[benchmark] %s %d/%d%s: %s (%s)%n", series, info.getCurrentRepetition(), info.getTotalRepetitions(),
                note.isEmpty() ? "" : " " + note, fmt(ms(sandbox.provisioningDuration())), phases(sandbox.phases()));
    }

    /** {@code n=30 P50=.. P95=.. P99=..} over unsorted samples in ms, with the project's one percentile definition. */
    static String percentiles(List<Double> samplesMs) {
        return "n=" + samplesMs.size()
                + " P50=" + fmt(Percentiles.of(samplesMs, 50))
                + " P95=" + fmt(Percentiles.of(samplesMs, 95))
                + " P99=" + fmt(Percentiles.of(samplesMs, 99));
    }

    /** A unique container name for a peer sample, shaped like our sandbox ids. */
    static String sampleId(String prefix) {
        return String.format("%s-%012x", prefix, ThreadLocalRandom.current().nextLong() & 0xFFFF_FFFF_FFFFL);
    }

    /**
     * Stops {@code sandbox}, asserts that nothing of it is left in the engine ({@code docker ps -a} by its id
     * label), and returns how long the stop took. The time is not judged here: the stop series' P95 is, against
     * {@link dev.devs.sandbox.benchmarks.LatencyTargets#STOP}.
     */
    static Duration stopAndCheck(DockerClient docker, Sandbox sandbox) {
        long t0 = System.nanoTime();
        sandbox.stop();
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        if (docker != null) {
            assertThat(BenchmarkEnvironment.containersOf(docker, sandbox.id()))
                    .as("containers of %s after stop()", sandbox.id()).isEmpty();
        }
        return took;
    }

    /** Heap used after asking for full collections until the figure settles (best effort, as any JVM allows). */
    static long heapUsedAfterGc() throws InterruptedException {
        long previous = Long.MAX_VALUE;
        long used = 0;
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(100);
            Runtime rt = Runtime.getRuntime();
            used = rt.totalMemory() - rt.freeMemory();
            if (Math.abs(previous - used) < 64 * 1024) {
                break;
            }
            previous = used;
        }
        return used;
    }

    /** One sample of the report's sections. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Sample(double durationMs, Instant timestamp, String sandboxId) {
        Sample {
            // Milliseconds, as the reporter writes its samples' timestamps.
            timestamp = timestamp.truncatedTo(ChronoUnit.MILLIS);
        }

        static Sample of(Duration d, Instant at) {
            return new Sample(ms(d), at, null);
        }

        static Sample of(Sandbox sandbox) {
            return new Sample(ms(sandbox.provisioningDuration()), sandbox.provisioningReadyAt(), sandbox.id());
        }
    }

    /** One entry of the report's {@code peers} section (docs/operations/sandbox-latency-benchmarks.md). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record PeerSeries(String name, String engine, String description, String image, List<Sample> samples,
                      Double p50Ms, Double p95Ms, Double p99Ms, long count) {
        /** {@code engine}: the engine it ran on, named as our driver there ({@code docker}, {@code podman}). */
        static PeerSeries of(Peer peer, String engine, String image, List<Sample> samples) {
            List<Double> values = samples.stream().map(Sample::durationMs).toList();
            return new PeerSeries(peer.name(), engine, peer.description(), image, List.copyOf(samples),
                    boxed(Percentiles.of(values, 50)), boxed(Percentiles.of(values, 95)),
                    boxed(Percentiles.of(values, 99)), samples.size());
        }
    }

    static Double boxed(OptionalDouble v) {
        return v.isPresent() ? v.getAsDouble() : null;
    }
}
