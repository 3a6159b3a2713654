package dev.devs.sandbox.docker;

import static dev.devs.sandbox.SandboxLifecycleEvent.Type.FAILED;
import static dev.devs.sandbox.SandboxLifecycleEvent.Type.STARTING;
import static dev.devs.sandbox.docker.DockerTestSupport.REGISTRY;
import static dev.devs.sandbox.docker.DockerTestSupport.TINY_IMAGE;
import static dev.devs.sandbox.docker.DockerTestSupport.assertNothingLeftOf;
import static dev.devs.sandbox.docker.DockerTestSupport.containersLabelled;
import static dev.devs.sandbox.docker.DockerTestSupport.startedId;
import static dev.devs.sandbox.docker.DockerTestSupport.volumesLabelled;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.sun.net.httpserver.HttpServer;
import dev.devs.sandbox.ImageNotFoundException;
import dev.devs.sandbox.ResourceLabels;
import dev.devs.sandbox.SandboxLifecycleEvent;
import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxRuntimeUnavailableException;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.SandboxStartException;
import dev.devs.sandbox.SandboxTimeoutException;
import dev.devs.sandbox.spi.StartContext;
import dev.devs.sandbox.tck.Patience;
import dev.devs.sandbox.tck.RecordingListener;
import dev.devs.sandbox.tck.TestStartContexts;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each way a start can go wrong: a clear exception naming the bad value and what would be valid, in
 * bounded time (the {@code @Timeout}s), with FAILED emitted and nothing of the sandbox left behind.
 */
@ExtendWith(SessionLeakCheck.class)
class DockerBadInputTest {

    private final RecordingListener events = new RecordingListener();
    private SandboxProvider provider;

    private SandboxProvider provider(DockerDriver driver) {
        provider = SandboxProvider.builder(driver).listener(events).build();
        return provider;
    }

    @AfterEach
    void tearDown() {
        if (provider != null) {
            provider.close();
        }
    }

    @Test
    @Timeout(20)
    void imageFoundNeitherLocallyNorInItsRegistry() {
        String image = REGISTRY + "/devs-docker-test-missing-" + UUID.randomUUID().toString().substring(0, 8) + ":1";

        Throwable thrown = catchThrowable(() -> provider(new DockerDriver()).start(SandboxSpec.builder(image).build()));

        assertThat(thrown).isInstanceOf(ImageNotFoundException.class)
                .hasMessageContaining("image '" + image + "'")
                .hasMessageContaining("found neither locally nor in registry " + REGISTRY)
                .hasMessageContaining("manifest unknown");
        assertThat(((ImageNotFoundException) thrown).image()).isEqualTo(image);
        assertFailedAndNothingLeft(thrown);
    }

    @Test
    @Timeout(20)
    void registryThatDoesNotAnswerIsNamed() {
        String registry = "localhost:" + DockerTestSupport.freePort();
        String image = registry + "/devs-docker-test/app:1";

        Throwable thrown = catchThrowable(() -> provider(new DockerDriver()).start(SandboxSpec.builder(image).build()));

        assertThat(thrown).isInstanceOf(SandboxStartException.class).isNotInstanceOf(ImageNotFoundException.class)
                .hasMessageContaining("image '" + image + "' is not present locally")
                .hasMessageContaining("registry " + registry + " did not answer")
                .hasMessageContaining("connection refused");
        assertFailedAndNothingLeft(thrown);
    }

    @Test
    @Timeout(10)
    void engineUnreachableOverTcpNamesTheHostAndHowToPointElsewhere() {
        DockerDriver driver = DockerDriver.builder().dockerHost("tcp://127.0.0.1:1").connectTimeout(Duration.ofSeconds(2)).build();

        Throwable thrown = catchThrowable(() -> provider(driver).start(DockerTestSupport.sleeper().build()));

        assertThat(thrown).isInstanceOf(SandboxRuntimeUnavailableException.class)
                .hasMessageContaining("no Docker engine answered at tcp://127.0.0.1:1")
                .hasMessageContaining("DockerDriver.builder().dockerHost")
                .hasMessageContaining("DOCKER_HOST")
                .hasMessageContaining("Connection refused");
        assertThat(events.types()).containsExactly(STARTING, FAILED);
        assertThat(events.last(SandboxLifecycleEvent.Failed.class).error()).isSameAs(thrown);
        assertThat(java.util.List.copyOf(events.last(SandboxLifecycleEvent.Failed.class).phases().keySet())).containsExactly("inspect-image");
        assertNothingLeftOf(startedId(events.events()));
    }

    @Test
    @Timeout(30) // the start fails at once; the leak checks' CLI and API calls took over 10 s on a loaded machine
    void engineUnreachableOverAMissingUnixSocket() {
        String host = "unix:///tmp/devs-no-such-docker-" + UUID.randomUUID().toString().substring(0, 8) + ".sock";
        DockerDriver driver = DockerDriver.builder().dockerHost(host).build();
        assertThat(driver.dockerHost()).isEqualTo(host);

        Throwable thrown = catchThrowable(() -> provider(driver).start(DockerTestSupport.sleeper().build()));

        assertThat(thrown).isInstanceOf(SandboxRuntimeUnavailableException.class)
                .hasMessageContaining("no Docker engine answered at " + host)
                .hasMessageContaining("DOCKER_HOST")
                .hasMessageContaining("dockerHost(...)");
        assertThat(events.types()).containsExactly(STARTING, FAILED);
        assertNothingLeftOf(startedId(events.events()));
    }

    @Test
    @Timeout(10)
    void serverThatIsNotADockerEngineIsNotMistakenForOne() throws Exception {
        // Stand-in for a server at DOCKER_HOST that is not an engine (a real engine cannot be made to show this):
        // an HTTP server answering everything with an empty 404, as proxies and firewalls do. Without care,
        // "404" would read as "image not found".
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            exchange.sendResponseHeaders(404, -1);
            exchange.close();
        });
        server.start();
        try {
            String host = "tcp://127.0.0.1:" + server.getAddress().getPort();
            Throwable thrown = catchThrowable(() -> provider(DockerDriver.builder().dockerHost(host).build())
                    .start(DockerTestSupport.sleeper().build()));

            assertThat(thrown).isInstanceOf(SandboxRuntimeUnavailableException.class)
                    .hasMessageContaining("the server at " + host)
                    .hasMessageContaining("is not a Docker engine")
                    .hasMessageContaining("HTTP 404")
                    .hasMessageContaining("DOCKER_HOST");
            assertThat(events.types()).containsExactly(STARTING, FAILED);
        } finally {
            server.stop(0);
        }
    }

    @Test
    @Timeout(5)
    void closedDriverRefusesToStartAndClosesOnlyOnce() {
        DockerDriver driver = new DockerDriver();
        driver.close();
        driver.close();
        StartContext ctx = TestStartContexts.of("sbx-closed", Duration.ofSeconds(5));

        assertThatThrownBy(() -> driver.start(DockerTestSupport.sleeper().build(), ctx))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("DockerDriver for " + driver.dockerHost() + " is closed");
        assertNothingLeftOf("sbx-closed");
    }

    @Test
    @Timeout(5)
    void malformedEngineAddressIsRejectedWhenTheDriverIsBuilt() {
        assertThatThrownBy(() -> DockerDriver.builder().dockerHost("docker.example:2375"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("dockerHost 'docker.example:2375' is not a Docker engine address")
                .hasMessageContaining("unix:///path/to/docker.sock")
                .hasMessageContaining("tcp://host:port");
        assertThatThrownBy(() -> DockerDriver.builder().connectTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("connectTimeout PT0S must be positive");
        // A driver name is a metric tag: one short word, never something per sandbox or free text.
        for (String bad : List.of("", "Podman", "podman engine", "1podman", "p".repeat(33))) {
            assertThatThrownBy(() -> DockerDriver.builder().name(bad))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("name '" + bad + "' is not a driver name")
                    .hasMessageContaining("lower-case letters, digits or '-'");
        }
        assertThat(DockerDriver.builder().name("podman-4").build().name()).isEqualTo("podman-4");
    }

    static Stream<Arguments> invalidSpecs() {
        return Stream.of(
                Arguments.of("no image", (Supplier<SandboxSpec>) () -> SandboxSpec.builder().command("sleep", "1").build(),
                        "driver 'docker' needs an image"),
                Arguments.of("upper-case repository", (Supplier<SandboxSpec>) () -> SandboxSpec.builder("BusyBox:1").build(),
                        "image 'BusyBox:1' is not a valid image reference"),
                Arguments.of("bad tag", (Supplier<SandboxSpec>) () -> SandboxSpec.builder("busybox:-1").build(),
                        "image 'busybox:-1' is not a valid image reference"),
                Arguments.of("work dir in /proc", (Supplier<SandboxSpec>) () -> SandboxSpec.builder(TINY_IMAGE).workDir("/proc/work").build(),
                        "workDir '/proc/work' lies in /proc"),
                Arguments.of("scratch volume at /", (Supplier<SandboxSpec>) () -> SandboxSpec.builder(TINY_IMAGE).scratchVolume("/").build(),
                        "scratchVolumes '/' is the root directory"),
                Arguments.of("network with a slash", (Supplier<SandboxSpec>) () -> SandboxSpec.builder(TINY_IMAGE).network("bad/net").build(),
                        "network 'bad/net' is not valid for driver 'docker'"),
                Arguments.of("user with two colons", (Supplier<SandboxSpec>) () -> SandboxSpec.builder(TINY_IMAGE).user("1:2:3").build(),
                        "user '1:2:3' is not valid for driver 'docker'"),
                Arguments.of("cpus below the engine minimum", (Supplier<SandboxSpec>) () -> SandboxSpec.builder(TINY_IMAGE).cpus(0.001).build(),
                        "cpus 0.001 is below the Docker engine's minimum of 0.01"),
                Arguments.of("blank program", (Supplier<SandboxSpec>) () -> SandboxSpec.builder(TINY_IMAGE).command(" ", "x").build(),
                        "command [ , x] starts with a blank program name"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidSpecs")
    @Timeout(10)
    void invalidSpecIsRejectedBeforeAnyEngineCall(String what, Supplier<SandboxSpec> spec, String message) {
        int before = containersLabelled(ResourceLabels.SESSION, SandboxProvider.JVM_SESSION_ID).size();

        assertThatThrownBy(() -> provider(new DockerDriver()).start(spec.get()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message);

        assertThat(events.events()).as("no event for a rejected spec").isEmpty();
        assertThat(containersLabelled(ResourceLabels.SESSION, SandboxProvider.JVM_SESSION_ID)).hasSize(before);
        assertThat(volumesLabelled(ResourceLabels.SESSION, SandboxProvider.JVM_SESSION_ID)).isEmpty();
        // Proof that no engine was asked: against an engine that cannot be reached the answer is the same.
        try (DockerDriver unreachable = DockerDriver.builder().dockerHost("tcp://127.0.0.1:1").build()) {
            assertThatThrownBy(() -> unreachable.validate(spec.get()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(message);
        }
    }

    @Test
    @Timeout(60)
    void readinessProbeThatNeverSucceedsTimesOutWithItsExitCodeOutputStateAndLog() {
        // The timeout must run out in the probe, the failure tested here, and not while the container is being created
        // or started (seen with a fixed 5 s on a loaded machine). So it is set from what a start of the same image
        // takes here and now: three times that, and at least 3 s scaled by the patience factor. It is let run out in
        // full, so a fixed generous value would cost its whole length on every machine.
        Duration plainStart;
        try (SandboxProvider calibration = SandboxProvider.of(new DockerDriver());
                var sandbox = calibration.start(SandboxSpec.builder(TINY_IMAGE).command("sleep", "600").build())) {
            plainStart = sandbox.provisioningDuration();
        }
        Duration startupTimeout = Duration.ofSeconds(Math.max(Patience.seconds(3).toSeconds(), plainStart.multipliedBy(3).toSeconds() + 1));
        SandboxSpec spec = SandboxSpec.builder(TINY_IMAGE)
                .command("sh", "-c", "echo main-says-hello; echo main-warns >&2; sleep 600")
                .readinessProbe("sh", "-c", "echo probe-says-no; exit 7")
                .startupTimeout(startupTimeout)
                .build();

        Throwable thrown = catchThrowable(() -> provider(new DockerDriver()).start(spec));

        assertThat(thrown).isInstanceOf(SandboxTimeoutException.class)
                .hasMessageContaining("did not become ready within startupTimeout " + startupTimeout)
                .hasMessageContaining("readiness probe [sh, -c, echo probe-says-no; exit 7]")
                .hasMessageContaining("last exit code 7")
                .hasMessageContaining("stdout 'probe-says-no'")
                .hasMessageContaining("status running")
                .hasMessageContaining("main-says-hello")
                .hasMessageContaining("main-warns");
        assertThat(((SandboxTimeoutException) thrown).timeout()).isEqualTo(startupTimeout);
        assertThat(java.util.List.copyOf(events.last(SandboxLifecycleEvent.Failed.class).phases().keySet()))
                .containsExactly("inspect-image", "create", "attach", "start", "ready", "readiness");
        assertFailedAndNothingLeft(thrown);
    }

    @Test
    @Timeout(15)
    void processThatExitsWhileTheProbeIsTriedFailsWithExitCodeAndLog() {
        // The main process ends once the probe has been tried (it leaves a file), so it ends while the probe is being
        // tried whatever the machine's speed, never before READY's own look.
        SandboxSpec spec = SandboxSpec.builder(TINY_IMAGE)
                .command("sh", "-c", "echo boom-from-main >&2; while [ ! -e /workspace/probed ]; do sleep 0.05; done; exit 3")
                .readinessProbe("sh", "-c", "touch /workspace/probed; exit 1")
                .scratchVolume("/scratch")
                .build();

        Throwable thrown = catchThrowable(() -> provider(new DockerDriver()).start(spec));

        assertThat(thrown).isInstanceOf(SandboxStartException.class).isNotInstanceOf(SandboxTimeoutException.class)
                .hasMessageContaining("exit code 3")
                .hasMessageContaining("boom-from-main");
        assertFailedAndNothingLeft(thrown);
    }

    @Test
    @Timeout(15)
    void startTheEngineRefusesRemovesTheCreatedContainerAndVolume() {
        // Valid syntax, but no such user in the image: the engine refuses at start, after create.
        SandboxSpec spec = DockerTestSupport.sleeper().user("no-such-user").scratchVolume("/scratch").build();

        Throwable thrown = catchThrowable(() -> provider(new DockerDriver()).start(spec));

        assertThat(thrown).isInstanceOf(SandboxStartException.class)
                .hasMessageContaining("refused to start container")
                .hasMessageContaining("no-such-user");
        assertThat(events.last().attributes()).containsKey("containerId");
        assertFailedAndNothingLeft(thrown);
    }

    @Test
    @Timeout(15)
    void networkThatDoesNotExistIsNamed() {
        String network = "devs-no-such-net-" + UUID.randomUUID().toString().substring(0, 8);

        Throwable thrown = catchThrowable(() -> provider(new DockerDriver()).start(DockerTestSupport.sleeper().network(network).build()));

        assertThat(thrown).isInstanceOf(SandboxStartException.class)
                .hasMessageContaining("network '" + network + "' does not exist")
                .hasMessageContaining("docker network create " + network);
        assertFailedAndNothingLeft(thrown);
    }

    private void assertFailedAndNothingLeft(Throwable thrown) {
        assertThat(events.types()).containsExactly(STARTING, FAILED);
        assertThat(events.last(SandboxLifecycleEvent.Failed.class).error()).isSameAs(thrown);
        String id = startedId(events.events());
        assertThat(((SandboxStartException) thrown).sandboxId()).isEqualTo(id);
        assertThat(provider.liveSandboxes()).isEmpty();
        assertNothingLeftOf(id);
    }
}
