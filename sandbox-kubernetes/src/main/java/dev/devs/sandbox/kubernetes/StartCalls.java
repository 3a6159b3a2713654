package dev.devs.sandbox.kubernetes;

import dev.devs.sandbox.SandboxRuntimeUnavailableException;
import dev.devs.sandbox.SandboxStartException;
import dev.devs.sandbox.SandboxTimeoutException;
import dev.devs.sandbox.spi.StartContext;
import dev.devs.sandbox.internal.DaemonThreads;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The API calls of starts, and the clean-up after a failed one, run on the driver's own daemon threads so that each
 * is bounded (by the startup timeout, or {@link #CLEANUP_TIMEOUT}) without interrupting the caller's thread.
 */
final class StartCalls implements AutoCloseable {

    /** Bound on deleting what a failed start created: the start has failed already, it must not hang as well. */
    static final Duration CLEANUP_TIMEOUT = Duration.ofSeconds(5);

    private static final Logger log = LoggerFactory.getLogger(KubernetesDriver.class);

    private final ExecutorService calls = Executors.newCachedThreadPool(DaemonThreads.named("sandbox-kubernetes-api"));
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
        Future<T> answer;
        try {
            answer = calls.submit(call::get);
        } catch (RejectedExecutionException e) {
            throw new IllegalStateException("KubernetesDriver is closed", e);
        }
        try {
            return answer.get(Math.max(0, bound.toNanos()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new SandboxTimeoutException(ctx.sandboxId(), ctx.timeout(), "sandbox " + ctx.sandboxId() + " did not become ready within"
                    + " startupTimeout " + ctx.timeout() + ": no answer from the API server at " + errors.server() + " to " + verb + " " + resource
                    + " in namespace '" + namespace + "' (the client retries refused connections, so an unreachable server ends this way too)", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof KubernetesClientException k) {
                throw errors.starting(ctx.sandboxId(), verb, resource, k);
            }
            throw e.getCause() instanceof RuntimeException r ? r : new SandboxStartException(ctx.sandboxId(), verb + " " + resource + " failed", e.getCause());
        } finally {
            // Cancelling interrupts the driver's own thread, which makes the client abandon the request and its retries.
            answer.cancel(true);
        }
    }

    /**
     * Runs the clean-up of a failed start on the driver's thread, bounded by {@link #CLEANUP_TIMEOUT}, with the caller's
     * interrupt flag cleared while it waits and restored after: the caller's interrupt is kept, never eaten. Skipped
     * when the server could not be reached at all, since then nothing was created.
     */
    void cleanUp(String sandboxId, RuntimeException failure, Runnable deletes) {
        if (failure instanceof SandboxRuntimeUnavailableException) {
            return;
        }
        boolean interrupted = Thread.interrupted();
        Future<?> done = null;
        try {
            done = calls.submit(deletes);
            done.get(CLEANUP_TIMEOUT.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            runQuietly(sandboxId, deletes); // closed meanwhile: clean up on the caller's thread
        } catch (ExecutionException | TimeoutException | InterruptedException e) {
            interrupted |= e instanceof InterruptedException;
            log.warn("could not delete what the failed start of sandbox {} created in namespace {} (the driver's labels and the"
                    + " maximum lifetime let it be found and end): {}", sandboxId, namespace, String.valueOf(e.getCause() != null ? e.getCause() : e));
        } finally {
            if (done != null) {
                done.cancel(true);
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
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
        calls.shutdownNow();
    }
}
