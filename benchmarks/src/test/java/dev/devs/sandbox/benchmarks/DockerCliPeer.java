package dev.devs.sandbox.benchmarks;

import com.github.dockerjava.api.DockerClient;
import dev.devs.sandbox.SandboxSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What a shell script does: {@code docker run -d} with the same settings, timed from spawning the CLI until
 * it exits 0 (it returns once the engine has started the container). Includes the CLI's own start-up.
 */
final class DockerCliPeer implements Peer {

    private static final Duration CLI_TIMEOUT = Duration.ofSeconds(14);

    private final DockerClient docker;

    DockerCliPeer(DockerClient docker) {
        this.docker = docker;
    }

    @Override
    public String name() {
        return "docker-cli";
    }

    @Override
    public String description() {
        return "`docker run -d` with the same image, command and host settings, timed from process spawn to its exit 0 "
                + "(includes the CLI's own start-up)";
    }

    @Override
    public Duration sample(SandboxSpec spec, String sampleId) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>();
        argv.add("docker");
        argv.addAll(PeerContainers.dockerRunArgs(spec, sampleId, name()));
        ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true);
        pb.environment().putIfAbsent("DOCKER_HOST", BenchmarkEnvironment.DOCKER_HOST);
        try {
            long t0 = System.nanoTime();
            Process p = pb.start();
            // Output is one line (the id) or an error: small enough that reading after exit cannot block the CLI.
            boolean exited = p.waitFor(CLI_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            long t1 = System.nanoTime();
            if (!exited) {
                p.destroyForcibly();
                throw new IllegalStateException("docker run -d for " + sampleId + " did not return within " + CLI_TIMEOUT);
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (p.exitValue() != 0) {
                throw new IllegalStateException("docker run -d for " + sampleId + " exited " + p.exitValue() + ": " + out);
            }
            return Duration.ofNanos(t1 - t0);
        } finally {
            // By name: present whenever the CLI got as far as creating it, whatever it printed.
            try {
                docker.removeContainerCmd(sampleId).withForce(true).withRemoveVolumes(true).exec();
            } catch (com.github.dockerjava.api.exception.NotFoundException e) {
                // Never created.
            }
        }
    }

    @Override
    public void close() {
    }
}
