package dev.devs.sandbox.benchmarks;

import static dev.devs.sandbox.benchmarks.Measurements.fmt;
import static dev.devs.sandbox.benchmarks.Measurements.ms;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.DockerClient;
import dev.devs.sandbox.Sandbox;
import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxSnapshot;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.StartType;
import dev.devs.sandbox.docker.DockerDriver;
import dev.devs.sandbox.metrics.Percentiles;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Fork from a checkpoint against a fresh start plus initialisation, for a Python template whose initialisation takes
 * at least 2 s (imports, a dict of N entries, then computing until 2 s have passed since its start), on runsc,
 * interleaved in one loop: per template size (three dict sizes, so three memory sizes), {@value #ROUNDS} fresh
 * starts (READY once the template says it is initialised: a readiness probe on its marker file) and {@value #ROUNDS}
 * forks of one checkpoint taken after the initialisation, alternating. Reports P50/P95 of both, their ratio (target:
 * fork P50 at most 0.5x; reported, not asserted), the checkpoint's time and size, in the {@code snapshots} section of
 * the report; the forks also feed the report's {@code docker}/{@code forked} series. Skipped, saying why, on an engine
 * without runsc or without experimental features (the scripts start theirs with both).
 */
@Tag("benchmark")
@Order(8)
@ExtendWith(BenchmarkRunExtension.class)
class SnapshotForkBenchmark {

    static final int ROUNDS = 5;
    /** Dict entries of the three template sizes. */
    static final int[] SIZES = {100_000, 500_000, 1_500_000};
    private static final String READY_FILE = "/tmp/initialised";
    /** Imports 24 modules (those python3-minimal has), builds the dict, computes until 2 s after its start, then says so and waits. */
    private static final String TEMPLATE = String.join("\n",
            "import time; t0 = time.monotonic()",
            "import sys, re, collections, itertools, functools, datetime, random, hashlib, base64, textwrap, string",
            "import struct, heapq, bisect, math, csv, io, types, weakref, copy, operator, enum, tokenize, traceback",
            "table = {i: str(i) for i in range(int(sys.argv[1]))}",
            "x = 0",
            "while time.monotonic() - t0 < 2.0: x += sum(range(1000))",
            "open('" + READY_FILE + "', 'w').write(str(random.random()))",
            "while True: time.sleep(3600)");

    private static BenchmarkRun run;
    private static final Map<String, Object> section = new LinkedHashMap<>();

    @BeforeAll
    static void setUp(BenchmarkRun benchmarkRun) {
        run = benchmarkRun;
        DockerClient docker = BenchmarkEnvironment.dockerClient();
        String missing = BenchmarkEnvironment.missingRuntime(docker, "runsc");
        Assumptions.assumeTrue(missing == null, () -> "snapshot benchmark skipped: " + missing);
        Assumptions.assumeTrue(Boolean.TRUE.equals(docker.infoCmd().exec().getExperimentalBuild()),
                "snapshot benchmark skipped: the Docker engine has experimental features off, which checkpoints need"
                        + " (add \"experimental\": true to its daemon.json; the scripts start theirs so)");
    }

    @Test
    @Timeout(1800)
    void forkAgainstFreshStartPlusInitialisation() {
        for (int entries : SIZES) {
            measure(entries);
        }
    }

    private static void measure(int entries) {
        SandboxSpec spec = SandboxSpec.builder(BenchmarkEnvironment.REALISTIC_IMAGE).runtime("runsc")
                .command("python3", "-c", TEMPLATE, Integer.toString(entries))
                .readinessProbe("test", "-f", READY_FILE).startupTimeout(Duration.ofSeconds(120)).build();
        List<Double> fresh = new ArrayList<>();
        List<Double> forks = new ArrayList<>();
        // Fresh starts are not reported as a series (their READY includes the initialisation): only the forks are.
        try (SandboxProvider freshProvider = SandboxProvider.builder(new DockerDriver()).sessionId(BenchmarkEnvironment.SESSION).build();
             SandboxProvider forkProvider = SandboxProvider.builder(new DockerDriver()).sessionId(BenchmarkEnvironment.SESSION).build()) {
            Sandbox template = forkProvider.start(spec);
            String value = template.exec("cat", READY_FILE).stdout();
            long t0 = System.nanoTime();
            try (SandboxSnapshot snapshot = template.checkpoint()) {
                double checkpointMs = ms(Duration.ofNanos(System.nanoTime() - t0));
                try (Sandbox f = forkProvider.fork(snapshot)) { // warm-up: class loading, first restore
                    run.warmup("docker forked " + entries, Measurements.Sample.of(f));
                }
                run.listeners().forEach(forkProvider::addListener);
                for (int round = 0; round < ROUNDS; round++) {
                    try (Sandbox s = freshProvider.start(spec)) {
                        fresh.add(ms(s.provisioningDuration()));
                    }
                    try (Sandbox f = forkProvider.fork(snapshot)) {
                        assertThat(f.startType()).isEqualTo(StartType.FORKED);
                        assertThat(f.exec("cat", READY_FILE).stdout()).as("the template's value in the fork").isEqualTo(value);
                        forks.add(ms(f.provisioningDuration()));
                    }
                }
                report(entries, fresh, forks, checkpointMs, snapshot.sizeBytes());
            }
        }
    }

    private static void report(int entries, List<Double> fresh, List<Double> forks, double checkpointMs, long bytes) {
        double freshP50 = Percentiles.of(fresh, 50).orElse(Double.NaN);
        double forkP50 = Percentiles.of(forks, 50).orElse(Double.NaN);
        Map<String, Object> numbers = new LinkedHashMap<>();
        numbers.put("dictEntries", entries);
        numbers.put("freshStartPlusInit", stats(fresh));
        numbers.put("fork", stats(forks));
        numbers.put("forkOverFreshP50", forkP50 / freshP50);
        numbers.put("targetForkOverFreshP50", 0.5);
        numbers.put("checkpointMs", checkpointMs);
        numbers.put("checkpointBytes", bytes);
        numbers.put("runtime", "runsc");
        section.put("python-" + entries, numbers);
        run.putSection("snapshots", new LinkedHashMap<>(section));
        run.summary(String.format("snapshot fork, python template with %d dict entries: fresh start + init %s, fork %s,"
                        + " fork/fresh P50 %.2fx (target <= 0.5x: %s); checkpoint %s, %.1f MB",
                entries, Measurements.percentiles(fresh), Measurements.percentiles(forks), forkP50 / freshP50,
                forkP50 / freshP50 <= 0.5 ? "met" : "NOT met", fmt(checkpointMs), bytes / 1e6));
    }

    private static Map<String, Object> stats(List<Double> samples) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("count", samples.size());
        m.put("p50Ms", Measurements.boxed(Percentiles.of(samples, 50)));
        m.put("p95Ms", Measurements.boxed(Percentiles.of(samples, 95)));
        m.put("samplesMs", List.copyOf(samples));
        return m;
    }
}
