package dev.devs.sandbox.docker;

import static dev.devs.sandbox.SandboxLifecycleEvent.Type.FAILED;
import static dev.devs.sandbox.SandboxLifecycleEvent.Type.STARTING;
import static dev.devs.sandbox.docker.DockerTestSupport.assertNothingLeftOf;
import static dev.devs.sandbox.docker.DockerTestSupport.startedId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.devs.sandbox.SandboxLifecycleEvent;
import dev.devs.sandbox.ExecResult;
import dev.devs.sandbox.tck.RecordingListener;
import dev.devs.sandbox.Sandbox;
import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxTimeoutException;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.StopOutcome;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * An engine address that accepts connections but never answers (a wrong DOCKER_HOST pointing at some silent
 * service) must not block a start for good: the start's own deadline (its startupTimeout) cuts it, over a Unix
 * socket and over TCP, with a message that says what happened and which call went unanswered. Against the real engine, the same short response timeout must cut
 * neither streams (an exec longer than it) nor {@code docker stop}, which the engine answers only after
 * the grace period.
 */
@ExtendWith(SessionLeakCheck.class)
class SilentEngineTest {

    private static final Duration RESPONSE_TIMEOUT = Duration.ofSeconds(1);

    private final RecordingListener events = new RecordingListener();
    private final List<Closeable> servers = new CopyOnWriteArrayList<>(); // accept threads add to it
    private SandboxProvider provider;

    @TempDir
    Path tmp;

    @AfterEach
    void tearDown() throws IOException {
        if (provider != null) {
            provider.close();
        }
        for (Closeable s : servers) {
            s.close();
        }
    }

    @Test
    @Timeout(15)
    void silentUnixSocketServerFailsTheStartByItsDeadline() throws Exception {
        Path socket = tmp.resolve("silent.sock");
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        servers.add(server);
        acceptForever(() -> servers.add(server.accept()));

        assertStartFailsAsSilent("unix://" + socket);
    }

    @Test
    @Timeout(15)
    void silentTcpServerFailsTheStartByItsDeadline() throws Exception {
        ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        servers.add(server);
        acceptForever(() -> servers.add(server.accept()));

        assertStartFailsAsSilent("tcp://127.0.0.1:" + server.getLocalPort());
    }

    @Test
    @Timeout(60)
    void shortResponseTimeoutCutsNeitherLongExecNorStopThatWaitsOutTheGrace() {
        DockerDriver driver = DockerDriver.builder().responseTimeout(RESPONSE_TIMEOUT).build();
        provider = SandboxProvider.builder(driver).listener(events).build();
        // Ignores SIGTERM: the engine answers the stop only after the whole grace period, twice the response timeout.
        Sandbox sandbox = provider.start(DockerTestSupport.ignoringSigterm().stopGracePeriod(Duration.ofSeconds(2)).build());
        try {
            ExecResult r = sandbox.exec(List.of("sh", "-c", "sleep 2; echo done"), Duration.ofSeconds(20));
            assertThat(r.exitCode()).isZero();
            assertThat(r.stdout()).isEqualTo("done\n");
        } finally {
            assertThat(sandbox.stop()).isEqualTo(StopOutcome.KILLED);
        }
        assertNothingLeftOf(sandbox.id());
    }

    @Test
    void responseTimeoutMustBePositive() {
        assertThatThrownBy(() -> DockerDriver.builder().responseTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("responseTimeout PT0S must be positive");
    }

    private void assertStartFailsAsSilent(String host) {
        // The response timeout is long: what cuts a start is its own deadline.
        DockerDriver driver = DockerDriver.builder().dockerHost(host).build();
        provider = SandboxProvider.builder(driver).listener(events).build();
        SandboxSpec spec = DockerTestSupport.sleeper().startupTimeout(RESPONSE_TIMEOUT).build();

        // Without the deadline this would block for good: the test's @Timeout is what bounds it.
        Throwable thrown = catchThrowable(() -> provider.start(spec));

        assertThat(thrown).isInstanceOf(SandboxTimeoutException.class)
                .hasMessageContaining("did not become ready within startupTimeout " + RESPONSE_TIMEOUT)
                .hasMessageContaining("the server at " + host)
                .hasMessageContaining("accepted the connection but did not answer within")
                .hasMessageContaining("(what remained of the startupTimeout)")
                .hasMessageContaining("inspect image")
                .hasMessageContaining("DOCKER_HOST")
                .hasMessageContaining("dockerHost(...)");
        // The call was cut on the driver's own thread: the caller's thread is never interrupted.
        assertThat(Thread.currentThread().isInterrupted()).as("caller left interrupted").isFalse();
        assertThat(events.types()).containsExactly(STARTING, FAILED);
        assertThat(events.last(SandboxLifecycleEvent.Failed.class).error()).isSameAs(thrown);
        assertThat(List.copyOf(events.last(SandboxLifecycleEvent.Failed.class).phases().keySet())).containsExactly("inspect-image");
        assertNothingLeftOf(startedId(events.events()));
    }

    private interface Accept {
        void once() throws IOException;
    }

    /**
     * Stand-in for an engine that accepts connections but never answers (a hung engine, or a service that is
     * not one), which a real engine cannot be made to show: accepts every connection, never reads or writes.
     */
    private static void acceptForever(Accept accept) {
        Thread t = new Thread(() -> {
            try {
                while (true) {
                    accept.once();
                }
            } catch (IOException closed) {
                // The test closed the server.
            }
        }, "silent-server");
        t.setDaemon(true);
        t.start();
    }
}
