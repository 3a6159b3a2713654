package dev.devs.sandbox.benchmarks;

import static dev.devs.sandbox.benchmarks.BenchmarkEnvironment.COLD_IMAGE;
import static dev.devs.sandbox.benchmarks.Measurements.fmt;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectImageResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Image;
import dev.devs.sandbox.Sandbox;
import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.StartType;
import dev.devs.sandbox.docker.DockerDriver;
import dev.devs.sandbox.metrics.LatencyStats;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Docker cold start: the image is absent locally and must be pulled from the registry on loopback. Target: the
 * series' P95 within {@link LatencyTargets#DOCKER_COLD} (the JUnit timeout of 35 s per sample only stops a hung
 * sample). The image is the realistic one (Debian minbase + python3, built by scripts/lib/env.sh); its registry copy carries one extra file so that no local image shares its layer, and it
 * is removed locally ({@code docker rmi}) before every sample, so every sample downloads and extracts it all.
 */
@Tag("benchmark")
@Order(1)
@ExtendWith(BenchmarkRunExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DockerColdStartBenchmark {

    static final int SAMPLES = 5;
    static final Duration TARGET = LatencyTargets.provisioning("docker", StartType.COLD).orElseThrow();

    private static BenchmarkRun run;
    private static DockerClient docker;
    private static SandboxProvider provider;
    private static final SandboxSpec SPEC = BenchmarkEnvironment.spec(COLD_IMAGE, Duration.ofSeconds(34));

    @BeforeAll
    @Timeout(120)
    static void setUp(BenchmarkRun benchmarkRun) throws Exception {
        run = benchmarkRun;
        docker = BenchmarkEnvironment.dockerClient();
        requireInRegistry(COLD_IMAGE);
        provider = SandboxProvider.builder(new DockerDriver()).sessionId(BenchmarkEnvironment.SESSION).build();
        // Warm-up, outside the measured series (reported in the warmup section): one cold start end to end
        // (JIT, connection pools, the registry's page cache).
        removeLocally(COLD_IMAGE);
        try (Sandbox warmUp = provider.start(SPEC)) {
            run.warmup("docker cold", Measurements.Sample.of(warmUp));
            assertThat(warmUp.startType()).as("start type of the warm-up after docker rmi").isEqualTo(StartType.COLD);
        }
        requireLayerNotShared(COLD_IMAGE);
        run.record(provider);
    }

    @BeforeEach
    @Timeout(60)
    void removeTheImageLocally() {
        removeLocally(COLD_IMAGE);
    }

    @RepeatedTest(value = SAMPLES, name = "cold start {currentRepetition}/{totalRepetitions}")
    // A hang guard, not a judgement: one slow sample never fails the run (only the P95 is judged); a start stuck
    // for two minutes does.
    @Timeout(120)
    @Order(1)
    void coldStartPullsTheImage(RepetitionInfo info) {
        Sandbox sandbox = provider.start(SPEC);
        try {
            Measurements.printSample("docker cold", info, "", sandbox);
            assertThat(sandbox.startType()).isEqualTo(StartType.COLD);
            assertThat(sandbox.phases()).as("phases of a cold start").containsKey("pull");
        } finally {
            Measurements.stopAndCheck(docker, sandbox);
        }
    }

    @Test
    @Order(2)
    void coldSeriesP95IsWithinItsTarget() {
        LatencyStats.Series cold = run.reporter().stats().series("docker", StartType.COLD).orElseThrow(
                () -> new AssertionError("the reporter has no docker/cold series: no cold sample succeeded"));
        double p95 = cold.p95Ms().orElseThrow();
        run.summary(String.format("docker cold (pull of %s from the loopback registry): n=%d P50=%s P95=%s P99=%s, target P95 <= %s: %s",
                COLD_IMAGE, cold.samples().size(), fmt(cold.p50Ms()), fmt(p95), fmt(cold.p99Ms()), fmt(TARGET.toMillis()),
                p95 <= TARGET.toMillis() ? "ok" : "MISSED"));
        assertThat(cold.samples()).hasSizeGreaterThanOrEqualTo(SAMPLES);
        assertThat(p95).as("docker cold P95 (ms)").isLessThanOrEqualTo(TARGET.toMillis());
    }

    @AfterAll
    @Timeout(60)
    static void tearDown() throws Exception {
        // Leave the machine as found: the registry copy is not kept locally.
        BenchmarkEnvironment.closeAndCheckNothingLeft(docker, () -> removeLocally(COLD_IMAGE), provider);
    }

    /** {@code docker rmi}; then the image must be gone, or the next sample would not be cold. */
    static void removeLocally(String image) {
        try {
            docker.removeImageCmd(image).withForce(true).exec();
        } catch (NotFoundException e) {
            // Already absent.
        }
        try {
            docker.inspectImageCmd(image).exec();
            throw new AssertionError("image " + image + " is still present after docker rmi: a cold sample would not pull it");
        } catch (NotFoundException expected) {
            // Absent, as a cold sample needs.
        }
    }

    /** Fails with what to do when the registry copy has not been pushed. */
    static void requireInRegistry(String image) throws IOException, InterruptedException {
        int slash = image.indexOf('/');
        int colon = image.lastIndexOf(':');
        String host = image.substring(0, slash);
        String name = image.substring(slash + 1, colon);
        String tag = image.substring(colon + 1);
        URI uri = URI.create("http://" + host + "/v2/" + name + "/manifests/" + tag);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpResponse<Void> response;
        try {
            response = http.send(HttpRequest.newBuilder(uri).method("HEAD", HttpRequest.BodyPublishers.noBody())
                    .header("Accept", "application/vnd.docker.distribution.manifest.v2+json")
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.discarding());
        } catch (IOException e) {
            throw new AssertionError("no registry answers at " + host + " (" + e + "): cold starts need the loopback "
                    + "registry; scripts/run_sandbox_latency_benchmark.sh starts it", e);
        }
        if (response.statusCode() != 200) {
            throw new AssertionError("image " + image + " is not in the registry at " + host + " (HTTP " + response.statusCode()
                    + " for " + uri + "): scripts/run_sandbox_latency_benchmark.sh pushes it");
        }
    }

    /**
     * A cold sample must download the whole image. Were its layer also part of a local image, Docker would
     * find it ("Already exists") and the sample would measure nothing but a tag.
     */
    static void requireLayerNotShared(String image) {
        InspectImageResponse cold = docker.inspectImageCmd(image).exec();
        Set<String> layers = new HashSet<>(cold.getRootFS().getLayers());
        for (Image other : docker.listImagesCmd().exec()) {
            if (other.getId().equals(cold.getId())) {
                continue;
            }
            List<String> otherLayers = docker.inspectImageCmd(other.getId()).exec().getRootFS().getLayers();
            if (otherLayers != null && otherLayers.stream().anyMatch(layers::contains)) {
                throw new AssertionError("image " + image + " shares a layer with local image "
                        + String.join(",", other.getRepoTags() == null ? new String[] {other.getId()} : other.getRepoTags())
                        + ": its cold samples would not download it; push a copy with different content "
                        + "(scripts/run_sandbox_latency_benchmark.sh does)");
            }
        }
    }
}
