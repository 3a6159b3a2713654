package dev.devs.sandbox.webcontainer;

import static dev.devs.sandbox.SandboxLifecycleEvent.Type.FAILED;
import static dev.devs.sandbox.SandboxLifecycleEvent.Type.STARTING;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.sun.net.httpserver.HttpServer;
import dev.devs.sandbox.tck.RecordingListener;
import dev.devs.sandbox.SandboxLifecycleEvent;
import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxRuntimeUnavailableException;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.SandboxTimeoutException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Runtimes that cannot serve a WebContainer: the start fails with the browser's own network error in the message,
 * emits FAILED, and leaves no browser context behind; the browser stays usable.
 *
 * <p>No test here reads a clock. A runtime the browser cannot load must fail the start on the browser's network
 * error, not on a timer: those tests give the driver the longest boot timeout there is ({@link #NO_TIMER}), far
 * beyond the {@code @Timeout}, so a driver that waited for the timer fails them.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WebContainerFailureTest {

    private static final Duration BOOT_TIMEOUT = Duration.ofSeconds(3);
    private static final Duration NO_TIMER = Duration.ofMinutes(5);
    private static final BrowserLeakCheck leaks = new BrowserLeakCheck();

    private final RecordingListener events = new RecordingListener();
    private HttpServer fake;

    @AfterAll
    static void checkLeaks() {
        leaks.assertNothingLeft();
    }

    @AfterEach
    void stopFake() {
        if (fake != null) {
            fake.stop(0);
        }
    }

    @Test
    void unreachableEndpointFailsOnTheConnectionErrorNotATimerAndLeavesNoPage() throws Exception {
        String endpoint = "http://127.0.0.1:" + closedPort();
        try (WebContainerDriver driver = driver(endpoint, NO_TIMER); SandboxProvider provider = provider(driver)) {
            Throwable error = failedStart(driver, provider, endpoint);
            assertThat(error).isInstanceOf(SandboxRuntimeUnavailableException.class)
                    .hasMessageContaining(endpoint)
                    .hasMessageContaining("net::ERR_CONNECTION_REFUSED");

            // The failed page was thrown away: a second start in the same (now warm) browser fails the same way
            // instead of waiting on the first boot.
            Throwable again = catchThrowable(() -> provider.start(SandboxSpec.builder().build()));
            assertThat(again).isInstanceOf(SandboxRuntimeUnavailableException.class).hasMessageContaining("net::ERR_CONNECTION_REFUSED");
            assertThat(((SandboxLifecycleEvent.Failed) events.eventsOf(((SandboxRuntimeUnavailableException) again).sandboxId()).get(1))
                    .startType()).contains(dev.devs.sandbox.StartType.WARM);
            assertFailedEventAndNoContextLeft(driver, endpoint);
        }
    }

    @Test
    void endpointThatNeverAnswersTimesOutAtTheBootTimeout() throws Exception {
        fake = fakeRuntime(200, Map.of("Cross-Origin-Embedder-Policy", "require-corp", "Cross-Origin-Resource-Policy", "cross-origin"),
                "<!doctype html><title>not a runtime</title>");
        String endpoint = "http://127.0.0.1:" + fake.getAddress().getPort();
        try (WebContainerDriver driver = driver(endpoint, BOOT_TIMEOUT); SandboxProvider provider = provider(driver)) {
            Throwable error = failedStart(driver, provider, endpoint);
            assertThat(error).isInstanceOf(SandboxTimeoutException.class)
                    .hasMessageContaining(endpoint)
                    .hasMessageContaining("bootTimeout " + BOOT_TIMEOUT)
                    .hasMessageContaining("loaded (HTTP 200) but never answered");
            assertThat(((SandboxTimeoutException) error).timeout()).isEqualTo(BOOT_TIMEOUT);
            assertThat(driver.browserAlive()).isTrue();
        }
    }

    @Test
    void endpointAnsweringAnHttpErrorFailsWithTheStatus() throws Exception {
        // No isolation headers either, as on most error pages: the status must still be what the message says.
        fake = fakeRuntime(404, Map.of(), "no such page");
        String endpoint = "http://127.0.0.1:" + fake.getAddress().getPort();
        try (WebContainerDriver driver = driver(endpoint, NO_TIMER); SandboxProvider provider = provider(driver)) {
            Throwable error = failedStart(driver, provider, endpoint);
            assertThat(error).isInstanceOf(SandboxRuntimeUnavailableException.class)
                    .hasMessageContaining(endpoint + "/headless")
                    .hasMessageContaining("HTTP 404");
        }
    }

    @Test
    void runtimePageWithoutCrossOriginResourcePolicyIsReportedAsBlocked() throws Exception {
        fake = fakeRuntime(200, Map.of(), "<!doctype html><title>missing CORP and COEP</title>");
        String endpoint = "http://127.0.0.1:" + fake.getAddress().getPort();
        try (WebContainerDriver driver = driver(endpoint, NO_TIMER); SandboxProvider provider = provider(driver)) {
            Throwable error = failedStart(driver, provider, endpoint);
            assertThat(error).isInstanceOf(SandboxRuntimeUnavailableException.class)
                    .hasMessageContaining(endpoint)
                    .hasMessageContaining("net::ERR_BLOCKED_BY_RESPONSE")
                    .hasMessageContaining("Cross-Origin-Resource-Policy: cross-origin");
        }
    }

    private WebContainerDriver driver(String endpoint, Duration bootTimeout) {
        return WebContainerDriver.builder().endpoint(endpoint).bootTimeout(bootTimeout).build();
    }

    private SandboxProvider provider(WebContainerDriver driver) {
        return SandboxProvider.builder(driver).listener(events).build();
    }

    /** One start's failure, once its FAILED event is checked and no browser context or page is left of it. */
    private Throwable failedStart(WebContainerDriver driver, SandboxProvider provider, String endpoint) throws InterruptedException {
        Throwable error = catchThrowable(() -> provider.start(SandboxSpec.builder().build()));
        leaks.track(driver);
        assertFailedEventAndNoContextLeft(driver, endpoint);
        return error;
    }

    private void assertFailedEventAndNoContextLeft(WebContainerDriver driver, String endpoint) throws InterruptedException {
        assertThat(events.types()).containsExactly(STARTING, FAILED);
        SandboxLifecycleEvent.Failed failed = events.last(SandboxLifecycleEvent.Failed.class);
        assertThat(failed.error()).hasMessageContaining(endpoint);
        assertThat(failed.attributes()).containsEntry("endpoint", endpoint).containsEntry("runtime", WebContainerDriver.SELF_HOSTED);
        assertThat(failed.phases()).containsKey(WebContainerDriver.PHASE_BOOT);
        var cdp = driver.browserConnection().orElseThrow();
        assertThat(cdp.browserContextIds(Duration.ofSeconds(5))).as("browser contexts left after a failed start").isEmpty();
        assertThat(cdp.targets(Duration.ofSeconds(5))).as("pages left after a failed start")
                .noneMatch(t -> t.url().contains("harness.html"));
        events.clear();
    }

    private static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static HttpServer fakeRuntime(int status, Map<String, String> headers, String body) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            try (exchange) {
                headers.forEach((k, v) -> exchange.getResponseHeaders().set(k, v));
                exchange.getResponseHeaders().set("Content-Type", "text/html");
                byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(status, bytes.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            }
        });
        server.start();
        return server;
    }

}
