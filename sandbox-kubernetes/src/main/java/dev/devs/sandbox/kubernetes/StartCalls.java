package dev.devs.sandbox.kubernetes;

import dev.devs.sandbox.SandboxRuntimeUnavailableException;
import dev.devs.sandbox.SandboxStartException;
import dev.devs.sandbox.SandboxTimeoutException;
import dev.devs.sandbox.spi.StartContext;
import dev.devs.sandbox.internal.BoundedCalls;
import dev.devs.sandbox.internal.DaemonThreads;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The API calls of starts, and the clean-up after a failed one, run through core's {@link BoundedCalls}: on the
 * driver's own daemon threads, each bounded (by what remains of the startup timeout, or {@link #CLEANUP_TIMEOUT})
 * without interrupting the caller's thread. A caller interrupted while it waits lets the call under way finish
 * within its bound (what it created must be known to be deleted), then gets an {@link InterruptedException} with its
 * interrupt status still set.
 */
final class StartCalls implements AutoCloseable {

    /** Bound on deleting what a failed start created: the start has failed already, it must not hang as well. */
    static final Duration CLEANUP_TIMEOUT = Duration.ofSeconds(5);

    private static final Logger log = LoggerFactory.getLogger(KubernetesDriver.class);

    private static final String CLOSED = "KubernetesDriver is closed";

    private final BoundedCalls calls = new BoundedCalls("sandbox-kubernetes-api", CLOSED);
    private final ApiErrors errors;
    private final String namespace;

    StartCalls(ApiErrors errors, String namespace) {
        this.errors = errors;
        this.namespace = namespace;
    }

    /**
     * Runs one API call of a start on the driver's own thread, bounded by {@code bound}: the client retries a refused
     * connection with back-off for longer than a start may last, and the caller's thread is never interrupted to cut
     * it. A refusal becomes the exception naming the verb, resource, namespace or server.
     *
     * @throws SandboxTimeoutException when no answer came within {@code bound}; the call is cancelled
     */
    <T> T call(StartContext ctx, Duration bound, String verb, String resource, Supplier<T> call) throws InterruptedException {
        try {
            return calls.call(call, bound);
        } catch (BoundedCalls.TimedOut e) {
            throw new SandboxTimeoutException(ctx.sandboxId(), ctx.timeout(), "sandbox " + ctx.sandboxId() + " did not become ready within"
                    + " startupTimeout " + ctx.timeout() + ": no answer from the API server at " + errors.server() + " to " + verb + " " + resource
                    + " in namespace '" + namespace + "' within " + e.bound() + " (the client retries refused connections, so an unreachable"
                    + " server ends this way too)", e);
        } catch (KubernetesClientException k) {
            throw errors.starting(ctx.sandboxId(), verb, resource, k);
        }
    }

    /**
     * Runs the clean-up of a failed start on the driver's thread, bounded by {@link #CLEANUP_TIMEOUT}; an interrupt of the
     * caller does not cut it short and stays set. Skipped when the server could not be reached at all, since then nothing
     * was created.
     */
    void cleanUp(String sandboxId, RuntimeException failure, Runnable deletes) {
        if (failure instanceof SandboxRuntimeUnavailableException) {
            return;
        }
        try {
            calls.callUninterruptibly(() -> {
                deletes.run();
                return null;
            }, CLEANUP_TIMEOUT);
        } catch (IllegalStateException e) {
            if (!CLOSED.equals(e.getMessage())) {
                throw e;
            }
            runQuietly(sandboxId, deletes); // closed meanwhile: clean up on the caller's thread
        } catch (BoundedCalls.TimedOut | KubernetesClientException e) {
            log.warn("could not delete what the failed start of sandbox {} created in namespace {} (the driver's labels and the"
                    + " maximum lifetime let it be found and end): {}", sandboxId, namespace, e.toString());
        }
    }

    private void runQuietly(String sandboxId, Runnable deletes) {
        try {
            deletes.run();
        } catch (KubernetesClientException e) {
            log.warn("could not delete what the failed start of sandbox {} created in namespace {}: {}", sandboxId, namespace, e.toString());
        }
    }

    @Override
    public void close() {
        calls.close();
    }
}
