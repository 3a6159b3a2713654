package dev.devs.sandbox.benchmarks;

import static dev.devs.sandbox.benchmarks.Measurements.fmt;
import static dev.devs.sandbox.benchmarks.Measurements.ms;
import static java.util.Collections.synchronizedList;

import com.github.dockerjava.api.DockerClient;
import dev.devs.sandbox.Sandbox;
import dev.devs.sandbox.SandboxLifecycleEvent;
import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.docker.DockerDriver;
import dev.devs.sandbox.metrics.Percentiles;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code stop()} against raw docker-java stop-and-remove with the same settings (the tiny image, the same grace
 * period, its main process exiting on SIGTERM), interleaved round by round on dockerd, with the phases of the
 * driver's stops, so that a stop slower than the raw one says where the time goes. Reported (the {@code stopVsRaw}
 * section and a summary line), not asserted.
 */
@Tag("benchmark")
@Order(8)
@ExtendWith(BenchmarkRunExtension.class)
class DockerStopBenchmark {

    static final int ROUNDS = Integer.getInteger("devs.stop.rounds", 40);
    private static final SandboxSpec SPEC = BenchmarkEnvironment.spec(DockerBurstBenchmark.TINY_IMAGE, Duration.ofSeconds(60));

    @Test
    @Timeout(600)
    void stopAgainstRawStopAndRemoveInterleaved(BenchmarkRun run) throws Exception {
        Map<String, List<Double>> phases = new ConcurrentHashMap<>();
        List<Double> ours = new ArrayList<>();
        List<Double> raw = new ArrayList<>();
        try (DockerClient docker = BenchmarkEnvironment.dockerClient();
             SandboxProvider provider = SandboxProvider.builder(DockerDriver.builder().build())
                     .sessionId(BenchmarkEnvironment.SESSION)
                     .listener(e -> {
                         if (e instanceof SandboxLifecycleEvent.Stopped || e instanceof SandboxLifecycleEvent.Killed) {
                             ((SandboxLifecycleEvent.Timed) e).phases().forEach((phase, took) ->
                                     phases.computeIfAbsent(phase, k -> synchronizedList(new ArrayList<>())).add(ms(took)));
                         }
                     })
                     .build()) {
            int grace = (int) SPEC.stopGracePeriod().toSeconds();
            for (int round = -3; round < ROUNDS; round++) { // three unmeasured rounds warm both sides up
                Sandbox sandbox = provider.start(SPEC);
                double d = ms(Measurements.stopAndCheck(docker, sandbox));
                String sampleId = Measurements.sampleId("stop-raw");
                String id = docker.createContainerCmd(SPEC.image()).withName(sampleId).withCmd(SPEC.command())
                        .withEnv(PeerContainers.env(SPEC)).withUser(SPEC.user().isEmpty() ? null : SPEC.user())
                        .withWorkingDir(SPEC.workDir()).withLabels(PeerContainers.labels(SPEC, sampleId, "raw-engine-api"))
                        .withHostConfig(PeerContainers.hostConfig(SPEC)).exec().getId();
                docker.startContainerCmd(id).exec();
                long t0 = System.nanoTime();
                docker.stopContainerCmd(id).withTimeout(grace).exec();
                docker.removeContainerCmd(id).withForce(true).withRemoveVolumes(true).exec();
                double r = ms(Duration.ofNanos(System.nanoTime() - t0));
                if (round < 0) {
                    phases.clear();
                    continue;
                }
                ours.add(d);
                raw.add(r);
            }
        }
        double p50 = Percentiles.of(ours, 50).orElseThrow();
        double rawP50 = Percentiles.of(raw, 50).orElseThrow();
        Map<String, String> phaseP50 = new TreeMap<>();
        phases.forEach((phase, samples) -> phaseP50.put(phase, fmt(Percentiles.of(samples, 50)) + " / " + fmt(Percentiles.of(samples, 95))));
        Map<String, Object> section = new LinkedHashMap<>();
        section.put("rounds", ROUNDS);
        section.put("driverStopMs", ours);
        section.put("rawStopAndRemoveMs", raw);
        section.put("p50RatioDriverToRaw", p50 / rawP50);
        section.put("driverPhasesP50P95", phaseP50);
        run.putSection("stopVsRaw", section);
        run.summary(String.format(Locale.ROOT, "docker stop() vs raw stop + remove, %d interleaved rounds: P50 %s / %s (x%.2f, target <= 1.05),"
                        + " P95 %s / %s; stop() phases P50 / P95 %s", ROUNDS, fmt(p50), fmt(rawP50), p50 / rawP50,
                fmt(Percentiles.of(ours, 95)), fmt(Percentiles.of(raw, 95)), phaseP50));
    }
}
