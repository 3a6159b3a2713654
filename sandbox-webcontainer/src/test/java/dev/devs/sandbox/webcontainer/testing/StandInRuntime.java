package dev.devs.sandbox.webcontainer.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.devs.sandbox.webcontainer.WebContainerDriver;
import dev.devs.sandbox.internal.DaemonThreads;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TEST STAND-IN of StackBlitz's WebContainer runtime endpoint, not StackBlitz. StackBlitz's hosted runtime
 * cannot be reached from the build machines, so tests and benchmarks boot the unmodified
 * {@code @webcontainer/api} client against this loopback origin instead.
 *
 * <p>It serves {@code /headless}, the page the client loads in an iframe, implementing the client's
 * protocol (Comlink over a MessagePort, using the Comlink copy shipped inside the client package) with an
 * in-memory file system and a few commands for {@code exec}: {@code echo}, {@code cat}, {@code ls},
 * {@code pwd}, {@code env}, {@code true}, {@code false}, {@code sleep N}; anything else exits 127. Its own
 * origin (a port other than the driver's harness) makes it cross-origin to the harness, as the real runtime
 * is, so it sends {@code Cross-Origin-Embedder-Policy: require-corp} and
 * {@code Cross-Origin-Resource-Policy: cross-origin}.
 *
 * <p>The {@code /headless} response carries {@code X-Devs-Runtime: test-stand-in}
 * ({@link WebContainerDriver#RUNTIME_HEADER}); the driver reports such a runtime as
 * {@code runtime=test-stand-in}, so no sample measured against it passes for a StackBlitz timing. Every log
 * line it writes says so too.
 *
 * <pre>{@code
 * try (StandInRuntime runtime = StandInRuntime.start();
 *      WebContainerDriver driver = WebContainerDriver.builder().endpoint(runtime.endpoint()).build()) { ... }
 * }</pre>
 */
public final class StandInRuntime implements AutoCloseable {

    /** The {@link WebContainerDriver#RUNTIME_HEADER} value, hence the {@code runtime} attribute, of this stand-in. */
    public static final String RUNTIME = "test-stand-in";

    private static final Logger log = LoggerFactory.getLogger(StandInRuntime.class);
    private static final String TAG = "test stand-in of the WebContainer runtime (not StackBlitz)";
    private static final String OWN = "dev/devs/sandbox/webcontainer/testing/";
    /** The Comlink build that ships inside @webcontainer/api (npm's comlink speaks another wire format). */
    private static final String COMLINK = "dev/devs/sandbox/webcontainer/harness/webcontainer-api/vendor/index.js";
    private static final Map<String, String> FILES = Map.of(
            "/headless", OWN + "headless.html",
            "/stand-in.js", OWN + "stand-in.js",
            "/comlink.js", COMLINK);
    private static final AtomicInteger COUNT = new AtomicInteger();

    private final HttpServer server;
    private final ExecutorService executor;
    private final URI endpoint;
    private final List<URI> headlessRequests = new CopyOnWriteArrayList<>();
    private final AtomicBoolean closed = new AtomicBoolean();

    private StandInRuntime(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
        this.endpoint = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /**
     * Serves the stand-in on 127.0.0.1 on a free port.
     *
     * @throws IllegalStateException when the client's Comlink copy is not on the classpath (the module was built
     *                               without npm)
     */
    public static StandInRuntime start() {
        for (String resource : FILES.values()) {
            if (StandInRuntime.class.getClassLoader().getResource(resource) == null) {
                throw new IllegalStateException(TAG + ": classpath resource " + resource + " is missing; build sandbox-webcontainer"
                        + " with Maven, which installs @webcontainer/api with npm");
            }
        }
        int n = COUNT.incrementAndGet();
        ExecutorService executor = Executors.newFixedThreadPool(4, DaemonThreads.named("webcontainer-test-stand-in-" + n));
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            StandInRuntime runtime = new StandInRuntime(server, executor);
            server.createContext("/", runtime::handle);
            server.setExecutor(executor);
            server.start();
            log.info("{}: serving /headless at {}", TAG, runtime.endpoint);
            return runtime;
        } catch (IOException e) {
            executor.shutdownNow();
            throw new UncheckedIOException(TAG + ": cannot bind a loopback port", e);
        }
    }

    /** The stand-in's origin, e.g. {@code http://127.0.0.1:41234}: give it to {@code WebContainerDriver.builder().endpoint(...)}. */
    public URI endpoint() {
        return endpoint;
    }

    /** Every {@code /headless} URL requested so far (with the client's query: {@code version}, {@code client_id}...). */
    public List<URI> headlessRequests() {
        return List.copyOf(headlessRequests);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            String resource = FILES.get(path);
            if (resource == null) {
                respond(exchange, 404, "text/plain; charset=utf-8", (TAG + ": no " + path + "\n").getBytes(StandardCharsets.UTF_8));
                return;
            }
            if (path.equals("/headless")) {
                headlessRequests.add(exchange.getRequestURI());
                log.info("{}: /headless requested ({})", TAG, exchange.getRequestURI());
                exchange.getResponseHeaders().set(WebContainerDriver.RUNTIME_HEADER, RUNTIME);
            }
            byte[] body;
            try (InputStream in = StandInRuntime.class.getClassLoader().getResourceAsStream(resource)) {
                body = in.readAllBytes();
            }
            respond(exchange, 200, path.endsWith(".js") ? "text/javascript; charset=utf-8" : "text/html; charset=utf-8", body);
        }
    }

    private static void respond(HttpExchange exchange, int status, String type, byte[] body) throws IOException {
        var h = exchange.getResponseHeaders();
        h.set("Content-Type", type);
        // Embedded cross-origin in a cross-origin-isolated page: without both, Chromium blocks it silently.
        h.set("Cross-Origin-Embedder-Policy", "require-corp");
        h.set("Cross-Origin-Resource-Policy", "cross-origin");
        h.set("Cache-Control", "no-store");
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    /** Stops serving and releases the port. Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            server.stop(0);
            executor.shutdownNow();
            log.info("{}: stopped serving {}", TAG, endpoint);
        }
    }

    @Override
    public String toString() {
        return "StandInRuntime[" + endpoint + ", " + TAG + "]";
    }
}
