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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a command in a sandbox's container through the API server's exec subresource (a WebSocket).
 *
 * <p>Closing an exec's connection does not end its process: the kubelet closes the process's stdio and lets it run
 * (a command that does not write runs on until its container ends). So a command runs under a {@code /bin/sh} that
 * first tells its process id on stderr ({@link #PID_MARKER}, taken out of the stderr the caller sees) and then
 * {@code exec}s the command; when the command outlasts its timeout, a second exec stops that process and every
 * descendant it finds in the container's {@code /proc} (repeatedly, so that none forked meanwhile escapes) and kills
 * them all. A container without {@code /bin/sh} runs the command as given (it never tells a process id), and a
 * timed-out command there runs until its sandbox ends: the timeout's message says which of the two happened.
 */
final class PodExec {

    private static final Logger log = LoggerFactory.getLogger(PodExec.class);

    /** The first line the wrapping shell writes on stderr, followed by its process id (which the command inherits). */
    static final String PID_MARKER = "devs-sandbox-exec-pid ";
    private static final Pattern PID_LINE = Pattern.compile("^" + PID_MARKER + "(\\d+)\n");
    private static final String WRAPPER = "printf '" + PID_MARKER + "%s\\n' $$ >&2; exec \"$@\"";

    /**
     * Kills process {@code $1} and its descendants: stop what is found, look again for children of what was stopped
     * (a stopped process cannot fork), until a pass finds nothing new, then SIGKILL them all. Built-ins and
     * {@code /proc} only, so that it needs nothing but the shell in the image.
     */
    private static final String TREE_KILL = String.join(" ",
            "t=\" $1 \"; kill -STOP $1 2>/dev/null || exit 0;",
            "while :; do new='';",
            "for s in /proc/[0-9]*/stat; do",
            "read -r l < \"$s\" 2>/dev/null || continue; p=${l%% *}; r=${l##*) }; set -- $r;",
            "case \"$t\" in *\" $2 \"*) case \"$t\" in *\" $p \"*) ;; *) new=\"$new $p\";; esac;; esac;",
            "done;",
            "[ -z \"$new\" ] && break; kill -STOP $new 2>/dev/null; t=\"$t$new \";",
            "done;",
            "kill -KILL $t 2>/dev/null; exit 0");
    private static final Duration KILL_TIMEOUT = Duration.ofSeconds(10);

    private PodExec() {
    }

    static ExecResult exec(KubernetesClient client, String namespace, String pod, String container, String sandboxId,
            List<String> command, Duration timeout) throws InterruptedException {
        long t0 = System.nanoTime();
        List<String> wrapped = new ArrayList<>(List.of("/bin/sh", "-c", WRAPPER, "sh"));
        wrapped.addAll(command);
        Run run = run(client, namespace, pod, container, sandboxId, command, wrapped, timeout);
        Long pid = run.pid();
        if (pid == null && (run.exitCode != null || run.failure != null)) {
            // No marker: the shell did not run (no /bin/sh in the image). Run the command as given.
            log.debug("sandbox {}: no /bin/sh answered in Pod {}/{}; exec of {} runs unwrapped", sandboxId, namespace, pod, command);
            run = run(client, namespace, pod, container, sandboxId, command, command, timeout.minusNanos(System.nanoTime() - t0));
        }
        if (run.failure != null) {
            throw new SandboxExecException(sandboxId, "exec of " + command + " in Pod " + namespace + "/" + pod + " (sandbox " + sandboxId
                    + ") failed: " + run.failure, run.failure);
        }
        if (run.exitCode == null) {
            boolean killed = pid != null && killTree(client, namespace, pod, container, sandboxId, pid);
            throw new SandboxExecTimeoutException(sandboxId, timeout, "exec of " + command + " in sandbox " + sandboxId
                    + " did not finish within " + timeout + "; " + (killed
                            ? "it and its children were killed"
                            : "its connection was closed, and it may run on until the sandbox ends (no /bin/sh to end it with)"),
                    run.timeout);
        }
        return new ExecResult(run.exitCode, text(run.out), run.stderrWithoutMarker(), Duration.ofNanos(System.nanoTime() - t0));
    }

    private static Run run(KubernetesClient client, String namespace, String pod, String container, String sandboxId,
            List<String> command, List<String> sent, Duration timeout) throws InterruptedException {
        Run run = new Run();
        ExecWatch watch;
        try {
            watch = client.pods().inNamespace(namespace).withName(pod).inContainer(container)
                    // 0: the sandbox is known to be ready; fabric8 would otherwise watch the Pod before every exec.
                    .withReadyWaitTimeout(0)
                    .writingOutput(run.out).writingError(run.err)
                    .exec(sent.toArray(String[]::new));
        } catch (KubernetesClientException e) {
            throw new SandboxExecException(sandboxId, "exec of " + command + " in Pod " + namespace + "/" + pod + " (sandbox " + sandboxId
                    + ") failed: " + e.getMessage(), e);
        }
        try (watch) {
            run.exitCode = watch.exitCode().get(Math.max(0, timeout.toNanos()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            run.timeout = e;
        } catch (ExecutionException e) {
            run.failure = e.getCause();
        }
        return run;
    }

    /** Ends process {@code pid} of the container and its descendants; whether the kill ran. Never throws but for an interrupt. */
    private static boolean killTree(KubernetesClient client, String namespace, String pod, String container, String sandboxId,
            long pid) throws InterruptedException {
        try {
            Run kill = run(client, namespace, pod, container, sandboxId, List.of("kill", Long.toString(pid)),
                    List.of("/bin/sh", "-c", TREE_KILL, "sh", Long.toString(pid)), KILL_TIMEOUT);
            if (kill.exitCode == null || kill.exitCode != 0) {
                log.debug("sandbox {}: ending timed-out exec (pid {}) answered {}: {}", sandboxId, pid, kill.exitCode, text(kill.err));
                return false;
            }
            return true;
        } catch (SandboxExecException e) {
            log.debug("sandbox {}: could not end timed-out exec (pid {})", sandboxId, pid, e);
            return false;
        }
    }

    /** One exec's output and its end: an exit code, or the timeout that came first. */
    private static final class Run {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        Integer exitCode;
        TimeoutException timeout;
        Throwable failure;

        /** The process id the wrapping shell told, or null when none (yet). */
        Long pid() {
            Matcher m = PID_LINE.matcher(text(err));
            return m.find() ? Long.valueOf(m.group(1)) : null;
        }

        String stderrWithoutMarker() {
            return PID_LINE.matcher(text(err)).replaceFirst("");
        }
    }

    private static String text(ByteArrayOutputStream stream) {
        synchronized (stream) {
            return stream.toString(StandardCharsets.UTF_8);
        }
    }
}
