package dev.devs.sandbox.webcontainer;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.devs.sandbox.ExecResult;
import dev.devs.sandbox.Sandbox;
import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.webcontainer.testing.StandInRuntime;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code network("none")}, the default, on a WebContainer: a request from inside the sandbox to any origin but the
 * harness and the runtime fails and never reaches its server, even another loopback server that would answer it
 * (CORS and resource-policy headers set); the runtime's origin stays reachable and the harness keeps working.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WebContainerNetworkTest {

    @Test
    void aNetworkNoneSandboxReachesOnlyTheHarnessAndTheRuntime() throws Exception {
        AtomicInteger requests = new AtomicInteger();
        HttpServer other = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        other.createContext("/", exchange -> {
            requests.incrementAndGet();
            byte[] body = "reached".getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Access-Control-Allow-Origin", "*");
            exchange.getResponseHeaders().set("Cross-Origin-Resource-Policy", "cross-origin");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        other.start();
        BrowserLeakCheck leaks = new BrowserLeakCheck();
        try (StandInRuntime runtime = StandInRuntime.start()) {
            WebContainerDriver driver = WebContainerDriver.builder().endpoint(runtime.endpoint()).build();
            leaks.track(driver);
            try (driver; SandboxProvider provider = SandboxProvider.of(driver);
                 Sandbox sandbox = provider.start(SandboxSpec.builder().build())) {
                String target = "http://127.0.0.1:" + other.getAddress().getPort() + "/";
                ExecResult blocked = sandbox.exec("fetch", target);
                assertThat(blocked.exitCode()).as("fetch %s: %s", target, blocked.stdout()).isNotZero();
                assertThat(blocked.stdout()).contains("fetch:");
                assertThat(requests.get()).as("requests that reached the other loopback server").isZero();

                ExecResult own = sandbox.exec("fetch", runtime.endpoint() + "/headless");
                assertThat(own.exitCode()).as("the runtime's origin: %s", own.stdout()).isZero();
                assertThat(sandbox.exec("echo", "still", "works").stdout()).isEqualTo("still works\n");
            }
        } finally {
            other.stop(0);
        }
        leaks.assertNothingLeft();
    }
}
