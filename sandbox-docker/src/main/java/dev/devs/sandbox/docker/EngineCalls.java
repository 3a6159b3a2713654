package dev.devs.sandbox.docker;

import dev.devs.sandbox.internal.BoundedCalls;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import java.io.IOException;
import dev.devs.sandbox.spi.StartContext;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The driver's way to the engine: docker-java clients, and owned threads on which every blocking
 * request/response call runs, bounded there (see {@link BoundedCalls}).
 *
 * <ul>
 *   <li>{@link #requestForStart}: the calls of a start (inspect image, create, start, inspect), each bounded by
 *       what remains of the start's deadline and nothing else; {@link #createForStart} for the create, which is
 *       abandoned rather than cut at the deadline, and whose late result is undone.</li>
 *   <li>{@link #request}: the calls outside a start (inspect, remove, volume create and remove, exec create and
 *       inspect), bounded by the response timeout. On a Unix socket the cancelling interrupt ends the blocked read
 *       of a cancelled call and frees its thread; on TCP the thread stays blocked until the engine answers or the
 *       driver is closed.</li>
 *   <li>{@link #awaitedRequest}: a request the engine rightly answers late, {@code docker stop -t <grace>};
 *       on the client without response timeout, bounded by the grace plus the response timeout.</li>
 *   <li>{@link #streams()}: pull, logs, exec attach. docker-java runs them on its own stream threads; they
 *       are silent for as long as the work they carry, so no response timeout: the startup timeout and the
 *       exec timeout bound the waits on them.</li>
 *   <li>{@link #links()}: the owners' attachments to their sandboxes' stdin ({@link OwnerLink}), one connection
 *       held per live sandbox, so on a client of their own whose pool does not cap how many sandboxes can live.</li>
 * </ul>
 * Thread-safe. {@link #close()} cancels calls in flight and closes both clients.
 */
final class EngineCalls implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EngineCalls.class);
    /** docker-java's default pool size. */
    private static final int DEFAULT_MAX_CONNECTIONS = 100;
    /** Live sandboxes one driver can hold: each holds one connection of {@link #links()}. */
    static final int MAX_LINKS = 4096;

    private final DockerClient requests;
    private final DockerClient streams;
    private final DockerClient links;
    private final BoundedCalls calls;
    private final Duration responseTimeout;
    private final EngineFailureTranslator failures;
    private final String closedMessage;
    private final AtomicBoolean closed = new AtomicBoolean();

    EngineCalls(EngineAddress address, EngineFailureTranslator failures) {
        this.failures = failures;
        DockerClientConfig config = DefaultDockerClientConfig.createDefaultConfigBuilder()
                .withDockerHost(address.dockerHost())
                .build();
        this.responseTimeout = address.responseTimeout();
        // No HTTP response timeout: each call is bounded on the owned thread, a start's by what remains of its deadline.
        this.requests = client(config, address, null, DEFAULT_MAX_CONNECTIONS);
        this.streams = client(config, address, null, DEFAULT_MAX_CONNECTIONS);
        this.links = client(config, address, null, MAX_LINKS);
        this.closedMessage = "DockerDriver for " + address.dockerHost() + " is closed";
        this.calls = new BoundedCalls("devs-docker-engine", closedMessage);
    }

    private static DockerClient client(DockerClientConfig config, EngineAddress address, Duration responseTimeout, int maxConnections) {
        ApacheDockerHttpClient.Builder http = new ApacheDockerHttpClient.Builder()
                .dockerHost(config.getDockerHost())
                .maxConnections(maxConnections)
                .sslConfig(config.getSSLConfig())
                .connectionTimeout(address.connectTimeout());
        if (responseTimeout != null) {
            http.responseTimeout(responseTimeout);
        }
        return DockerClientImpl.getInstance(config, http.build());
    }

    /**
     * One request/response call, on an owned thread, awaited at most the response timeout.
     *
     * @throws BoundedCalls.TimedOut no answer within the response timeout
     * @throws InterruptedException  the caller was interrupted (its interrupt status stays set); a call under way
     *                               was let finish first, so that what it did is known
     * @throws RuntimeException      docker-java's exceptions as thrown
     */
    <T> T request(Function<DockerClient, T> call) throws InterruptedException {
        return calls.call(() -> call.apply(requests), responseTimeout);
    }

    /**
     * One request/response call as a step of a start: awaited at most what remains of the start's deadline (its
     * {@code startupTimeout}), so that a busy engine may take as long as the start can still afford. A failure is
     * explained by {@link EngineFailureTranslator#starting}; a deadline that passes during the call by
     * {@link EngineFailureTranslator#deadlinePassed}, naming the call.
     *
     * @param what what was asked, read after "to", e.g. {@code "start container <id>"}
     */
    <T> T requestForStart(StartContext ctx, String what, Function<DockerClient, T> call) throws InterruptedException {
        Duration left = ctx.remaining();
        try {
            return calls.call(() -> call.apply(requests), left);
        } catch (BoundedCalls.TimedOut e) {
            throw failures.deadlinePassed(ctx, what, e);
        } catch (RuntimeException e) {
            throw failures.starting(ctx.sandboxId(), what, e);
        }
    }

    /**
     * {@link #requestForStart} for a call that creates something on the engine (the container, with its anonymous
     * volumes). When the deadline passes the call is abandoned, not cut: the engine that has the request would finish
     * it unseen, after the start's clean-up found nothing. It runs on, and when it ends {@code undo} gets what it
     * returned (or null) and what it threw (or null), on the driver's own thread, to remove what it made.
     */
    <T> T createForStart(StartContext ctx, String what, Function<DockerClient, T> call,
                         BiConsumer<? super T, ? super Throwable> undo) throws InterruptedException {
        Duration left = ctx.remaining();
        try {
            return calls.callAbandoning(() -> call.apply(requests), left, undo);
        } catch (BoundedCalls.TimedOut e) {
            throw failures.deadlinePassed(ctx, what, e);
        } catch (RuntimeException e) {
            throw failures.starting(ctx.sandboxId(), what, e);
        }
    }

    /** {@link #request} that an interrupt of the caller does not cut short: for removals that must happen. */
    <T> T requestUninterruptibly(Function<DockerClient, T> call) {
        return calls.callUninterruptibly(() -> call.apply(requests), responseTimeout);
    }

    /**
     * A request the engine answers only after {@code serverWait} (such as {@code docker stop -t}), awaited at
     * most that plus the response timeout.
     */
    <T> T awaitedRequest(Duration serverWait, Function<DockerClient, T> call) throws InterruptedException {
        return calls.call(() -> call.apply(streams), serverWait.plus(responseTimeout));
    }

    /** The bound on one call outside a start. */
    Duration responseTimeout() {
        return responseTimeout;
    }

    /** The client for streams (pull, logs, exec attach): no response timeout. */
    DockerClient streams() {
        return streams;
    }

    /** The client for owner links: no response timeout, a pool as large as {@link #MAX_LINKS}. */
    DockerClient links() {
        return links;
    }

    /** @throws IllegalStateException naming the engine address, after {@link #close()} */
    void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException(closedMessage);
        }
    }

    /** Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        calls.close();
        for (DockerClient c : new DockerClient[] {requests, streams, links}) {
            try {
                c.close();
            } catch (IOException e) {
                log.debug("closing a Docker client failed", e);
            }
        }
    }
}
