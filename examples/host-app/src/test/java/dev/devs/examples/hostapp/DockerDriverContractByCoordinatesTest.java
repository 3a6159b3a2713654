package dev.devs.examples.hostapp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.docker.DockerDriver;
import dev.devs.sandbox.spi.SandboxDriver;
import dev.devs.sandbox.tck.SandboxDriverContract;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * The driver contract suite as a third party runs it against a driver: sandbox-tck and the driver by coordinates,
 * only their public API. (A driver of your own goes in place of DockerDriver.)
 */
class DockerDriverContractByCoordinatesTest extends SandboxDriverContract {

    private static final String IMAGE = System.getenv().getOrDefault("DEVS_TINY_IMAGE", "devs-sandbox-busybox:1");

    @Override
    protected SandboxDriver newDriver() {
        return new DockerDriver();
    }

    @Override
    protected SandboxSpec runningSpec() {
        return SandboxSpec.builder(IMAGE).command("sleep", "600").build();
    }

    @Override
    protected SandboxSpec failingSpec() {
        // Valid, but in no registry: the start fails with the image not found.
        return SandboxSpec.builder(System.getenv().getOrDefault("DEVS_REGISTRY", "localhost:5000") + "/devs-example-missing-"
                + UUID.randomUUID().toString().substring(0, 8) + ":1").command("sleep", "600").build();
    }

    @Override
    protected SandboxSpec rejectedSpec() {
        return SandboxSpec.builder(IMAGE).command("sleep", "600").cpus(0.001).build();
    }

    @Override
    protected void assertNothingLeftBehind(String sandboxId) throws IOException, InterruptedException {
        assertNothingLabelled("dev.devs.sandbox.id=" + sandboxId);
    }

    @Override
    protected void assertNothingLeftOfSession(String sessionId) throws Exception {
        assertNothingLabelled("dev.devs.sandbox.session=" + sessionId);
    }

    /** Asks the engine, as a user would, for containers and volumes with the label. */
    private static void assertNothingLabelled(String label) throws IOException, InterruptedException {
        for (String kind : new String[] {"container", "volume"}) {
            Process p = new ProcessBuilder("docker", kind, "ls", "-q", kind.equals("container") ? "-a" : "--quiet",
                    "--filter", "label=" + label).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            assertThat(p.waitFor()).as("docker %s ls: %s", kind, out).isZero();
            assertThat(out).as("%ss labelled %s left behind", kind, label).isEmpty();
        }
    }
}
