package dev.devs.sandbox.webcontainer;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.devs.sandbox.internal.DaemonThreads;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The loopback HTTP server the driver's pages load: the harness page and the {@code @webcontainer/api} ES
 * modules that the build copied from npm into the classpath. The page is served cross-origin isolated
 * (COOP same-origin, COEP require-corp), which WebContainers need.
 */
final class HarnessServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HarnessServer.class);
    /** Classpath folder holding harness.html, harness.js and webcontainer-api/. */
    static final String RESOURCE_BASE = "dev/devs/sandbox/webcontainer/harness/";
    static final String PAGE = "harness.html";
    static final String CLIENT_ENTRY = "webcontainer-api/index.js";
    /** Only pages and scripts, so that no directory listing or other classpath file can be read. */
    private static final Pattern SAFE_PATH = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9_./-]*\\.(html|js)");
    private static final AtomicInteger SERVERS = new AtomicInteger();

    private final HttpServer server;
    private final ExecutorService executor;
    private final Map<String, Optional<byte[]>> cache = new ConcurrentHashMap<>();
    private final URI origin;

    private HarnessServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
        this.origin = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** Whether the build put the bundled client on the classpath. */
    static boolean clientBundled() {
        return HarnessServer.class.getClassLoader().getResource(RESOURCE_BASE + CLIENT_ENTRY) != null
                && HarnessServer.class.getClassLoader().getResource(RESOURCE_BASE + PAGE) != null;
    }

    /** Binds 127.0.0.1 on a free port and serves. */
    static HarnessServer start() {
        ExecutorService executor = Executors.newFixedThreadPool(4,
                DaemonThreads.named("webcontainer-harness-" + SERVERS.incrementAndGet()));
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            HarnessServer harness = new HarnessServer(server, executor);
            server.createContext("/", harness::handle);
            server.setExecutor(executor);
            server.start();
            log.debug("WebContainer harness served at {}", harness.origin);
            return harness;
        } catch (IOException e) {
            executor.shutdownNow();
            throw new UncheckedIOException("cannot bind the WebContainer harness server on loopback", e);
        }
    }

    /** The harness page's URL. */
    URI pageUrl() {
        return origin.resolve("/" + PAGE);
    }

    URI origin() {
        return origin;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            String relative = path.startsWith("/") ? path.substring(1) : path;
            if (!"GET".equals(exchange.getRequestMethod()) && !"HEAD".equals(exchange.getRequestMethod())) {
                send(exchange, 405, "text/plain", "method not allowed".getBytes(StandardCharsets.UTF_8));
                return;
            }
            if (!SAFE_PATH.matcher(relative).matches() || relative.contains("..")) {
                send(exchange, 404, "text/plain", "not found".getBytes(StandardCharsets.UTF_8));
                return;
            }
            Optional<byte[]> body = cache.computeIfAbsent(relative, HarnessServer::load);
            if (body.isEmpty()) {
                send(exchange, 404, "text/plain", "not found".getBytes(StandardCharsets.UTF_8));
                return;
            }
            send(exchange, 200, contentType(relative), body.get());
        }
    }

    private static void send(HttpExchange exchange, int status, String type, byte[] body) throws IOException {
        var h = exchange.getResponseHeaders();
        h.set("Content-Type", type);
        // Cross-origin isolation: WebContainer.boot() needs SharedArrayBuffer, which needs both headers.
        h.set("Cross-Origin-Opener-Policy", "same-origin");
        h.set("Cross-Origin-Embedder-Policy", "require-corp");
        h.set("Cross-Origin-Resource-Policy", "same-origin");
        h.set("Cache-Control", "no-store");
        boolean head = "HEAD".equals(exchange.getRequestMethod());
        exchange.sendResponseHeaders(status, head ? -1 : body.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    private static Optional<byte[]> load(String relative) {
        try (InputStream in = HarnessServer.class.getClassLoader().getResourceAsStream(RESOURCE_BASE + relative)) {
            return in == null ? Optional.empty() : Optional.of(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read harness resource " + relative, e);
        }
    }

    private static String contentType(String path) {
        if (path.endsWith(".html")) {
            return "text/html; charset=utf-8";
        }
        if (path.endsWith(".js")) {
            return "text/javascript; charset=utf-8";
        }
        if (path.endsWith(".json")) {
            return "application/json";
        }
        return "text/plain; charset=utf-8";
    }

    /** Stops serving at once and releases the port and threads. Idempotent. */
    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
