package dev.devs.sandbox.kubernetes;

import dev.devs.sandbox.ExecResult;
import dev.devs.sandbox.SandboxExecException;
import dev.devs.sandbox.SandboxExecTimeoutException;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.ExecWatch;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Runs a command in a sandbox's container through the API server's exec subresource (a WebSocket). */
final class PodExec {

    private PodExec() {
    }

    static ExecResult exec(KubernetesClient client, String namespace, String pod, String container, String sandboxId,
            List<String> command, Duration timeout) throws InterruptedException {
        long t0 = System.nanoTime();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ExecWatch watch;
        try {
            watch = client.pods().inNamespace(namespace).withName(pod).inContainer(container)
                    // 0: the sandbox is known to be ready; fabric8 would otherwise watch the Pod before every exec.
                    .withReadyWaitTimeout(0)
                    .writingOutput(out).writingError(err)
                    .exec(command.toArray(String[]::new));
        } catch (KubernetesClientException e) {
            throw new SandboxExecException(sandboxId, "exec of " + command + " in Pod " + namespace + "/" + pod + " (sandbox " + sandboxId
                    + ") failed: " + e.getMessage(), e);
        }
        try (watch) {
            int exitCode = watch.exitCode().get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            return new ExecResult(exitCode, text(out), text(err), Duration.ofNanos(System.nanoTime() - t0));
        } catch (TimeoutException e) {
            throw new SandboxExecTimeoutException(sandboxId, timeout, "exec of " + command + " in sandbox " + sandboxId
                    + " did not finish within " + timeout + "; its connection was closed", e);
        } catch (ExecutionException e) {
            throw new SandboxExecException(sandboxId, "exec of " + command + " in Pod " + namespace + "/" + pod + " (sandbox " + sandboxId
                    + ") failed: " + e.getCause(), e.getCause());
        }
    }

    private static String text(ByteArrayOutputStream stream) {
        synchronized (stream) {
            return stream.toString(StandardCharsets.UTF_8);
        }
    }
}
