package dev.devs.sandbox.benchmarks;

import com.github.dockerjava.api.model.HostConfig;
import dev.devs.sandbox.SandboxSpec;
import java.time.Duration;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * What a Java test suite does today: Testcontainers 1.21.4 {@code GenericContainer.start()} with its default
 * startup check (the engine reports the container running) and the same image, command and host settings.
 *
 * <p>Needs {@code TESTCONTAINERS_RYUK_DISABLED=true} (Ryuk's image cannot be pulled here),
 * {@code TESTCONTAINERS_CHECKS_DISABLE=true} and {@code TESTCONTAINERS_HOST_OVERRIDE=localhost} (this machine
 * has a {@code /.dockerenv}, so Testcontainers would pull alpine to find a gateway). 1.21.4 reads the first
 * and the last only from the process environment, so the benchmark profile sets them on surefire's fork.
 */
final class TestcontainersPeer implements Peer {

    static final String[] REQUIRED_ENV = {"TESTCONTAINERS_RYUK_DISABLED", "TESTCONTAINERS_CHECKS_DISABLE",
            "TESTCONTAINERS_HOST_OVERRIDE"};

    @Override
    public String name() {
        return "testcontainers";
    }

    @Override
    public String description() {
        return "Testcontainers 1.21.4 GenericContainer.start() (default startup check: engine reports running), "
                + "same image, command and host settings; Ryuk and start-up checks disabled";
    }

    /** Throws naming the missing variables when Testcontainers would not work (or would pull images). */
    static void requireEnvironment() {
        StringBuilder missing = new StringBuilder();
        for (String name : REQUIRED_ENV) {
            if (System.getenv(name) == null) {
                missing.append(missing.length() == 0 ? "" : ", ").append(name);
            }
        }
        if (missing.length() > 0) {
            throw new IllegalStateException("environment variables " + missing + " are not set: the benchmark profile "
                    + "of benchmarks/pom.xml sets them (run mvn verify -Pbenchmark), Testcontainers 1.21.4 needs them here");
        }
    }

    @Override
    @SuppressWarnings("resource") // stopped in finally
    public Duration sample(SandboxSpec spec, String sampleId) {
        HostConfig settings = PeerContainers.hostConfig(spec);
        GenericContainer<?> container = new GenericContainer<>(DockerImageName.parse(spec.image()))
                .withCommand(spec.command().toArray(String[]::new))
                .withEnv(spec.env())
                .withLabels(PeerContainers.labels(spec, sampleId, name()))
                .withNetworkMode(spec.network())
                .withTmpFs(settings.getTmpFs())
                .withWorkingDirectory(spec.workDir())
                .withStartupTimeout(Duration.ofSeconds(14))
                .withCreateContainerCmdModifier(cmd -> {
                    cmd.withName(sampleId);
                    if (!spec.user().isEmpty()) {
                        cmd.withUser(spec.user());
                    }
                    HostConfig hc = cmd.getHostConfig();
                    hc.withCapDrop(settings.getCapDrop())
                            .withSecurityOpts(settings.getSecurityOpts())
                            .withReadonlyRootfs(settings.getReadonlyRootfs())
                            .withMemory(settings.getMemory())
                            .withMemorySwap(settings.getMemorySwap())
                            .withPidsLimit(settings.getPidsLimit())
                            .withNanoCPUs(settings.getNanoCPUs())
                            .withInit(settings.getInit());
                });
        try {
            long t0 = System.nanoTime();
            container.start();
            return Duration.ofNanos(System.nanoTime() - t0);
        } finally {
            container.stop();
        }
    }

    @Override
    public void close() {
    }
}
