package dev.devs.sandbox.webcontainer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.devs.sandbox.ExecResult;
import dev.devs.sandbox.SandboxException;
import dev.devs.sandbox.SandboxExecException;
import dev.devs.sandbox.SandboxExecTimeoutException;
import dev.devs.sandbox.webcontainer.internal.cdp.CdpException;
import dev.devs.sandbox.webcontainer.internal.cdp.CdpSession.EvaluateResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs commands in one WebContainer through its {@code spawn} API, with the spec's env. The WebContainer API merges
 * stdout and stderr into one terminal stream: it all lands in {@link ExecResult#stdout()}, and
 * {@link ExecResult#stderr()} is empty. A command that outlives its timeout, or whose caller is interrupted, is
 * killed.
 */
final class SpawnExec {

    private static final Duration KILL_TIMEOUT = Duration.ofSeconds(2);

    private final String sandboxId;
    private final String endpoint;
    private final Harness harness;
    private final Map<String, String> env;
    private final AtomicLong execIds = new AtomicLong();

    SpawnExec(String sandboxId, String endpoint, Harness harness, Map<String, String> env) {
        this.sandboxId = sandboxId;
        this.endpoint = endpoint;
        this.harness = harness;
        this.env = env;
    }

    /**
     * Spawns {@code command[0]} with the rest as arguments, collects its output and exit code.
     *
     * @throws SandboxExecTimeoutException it did not finish within {@code timeout} (it was killed)
     * @throws SandboxException        the page is gone, or the harness failed to run it
     * @throws InterruptedException    the caller was interrupted (the command was killed)
     */
    ExecResult run(List<String> command, Duration timeout) throws InterruptedException {
        return run(command, Map.of(), null, timeout);
    }

    /** {@link #run(List, Duration)} with extra env (over the spec's) and a working directory (null: the WebContainer's). */
    ExecResult run(List<String> command, Map<String, String> extraEnv, String workingDir, Duration timeout)
            throws InterruptedException {
        SandboxPage page = harness.page();
        if (!page.isAlive()) {
            throw new SandboxExecException(sandboxId, "exec of " + command + " in sandbox " + sandboxId + " is impossible: its page is gone ("
                    + page.goneReason() + ")");
        }
        long id = execIds.incrementAndGet();
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("id", id);
        args.put("command", command.get(0));
        args.put("args", command.subList(1, command.size()));
        Map<String, String> allEnv = new LinkedHashMap<>(env);
        allEnv.putAll(extraEnv);
        args.put("env", allEnv);
        if (workingDir != null) {
            args.put("cwd", workingDir);
        }
        long t0 = System.nanoTime();
        EvaluateResult r;
        try {
            r = harness.call("exec", args, timeout);
        } catch (InterruptedException e) {
            kill(id);
            throw e;
        } catch (CdpException e) {
            if (page.isAlive() && System.nanoTime() - t0 >= timeout.toNanos()) {
                kill(id);
                throw new SandboxExecTimeoutException(sandboxId, timeout, "command " + command + " did not finish within " + timeout
                        + " in sandbox " + sandboxId + "; it was killed", e);
            }
            throw new SandboxExecException(sandboxId, "exec of " + command + " in sandbox " + sandboxId + " failed: " + e.getMessage(), e);
        }
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        if (r.threw()) {
            throw new SandboxExecException(sandboxId, "exec of " + command + " in sandbox " + sandboxId + " (endpoint " + endpoint
                    + ") failed: " + r.exception());
        }
        JsonNode v = r.value();
        return new ExecResult(v.path("exitCode").asInt(-1), v.path("output").asText(""), "", took);
    }

    /**
     * Writes files through the WebContainer's file-system API, parent directories included; relative paths resolve
     * against {@code workingDir}, else the WebContainer's own working directory.
     */
    void writeFiles(Map<String, byte[]> files, String workingDir, Duration timeout) throws InterruptedException {
        List<Map<String, String>> list = new ArrayList<>();
        files.forEach((path, content) -> list.add(Map.of("path", path, "base64", Base64.getEncoder().encodeToString(content))));
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("files", list);
        if (workingDir != null) {
            args.put("cwd", workingDir);
        }
        EvaluateResult r;
        try {
            r = harness.call("writeFiles", args, timeout);
        } catch (CdpException e) {
            throw new SandboxExecException(sandboxId, "writing " + files.keySet() + " in sandbox " + sandboxId + " failed: " + e.getMessage(), e);
        }
        if (r.threw()) {
            throw new SandboxExecException(sandboxId, "writing " + files.keySet() + " in sandbox " + sandboxId + " (endpoint " + endpoint
                    + ") failed: " + r.exception());
        }
    }

    private void kill(long id) {
        if (harness.page().isAlive()) {
            harness.callQuietly("kill", Map.of("id", id), KILL_TIMEOUT);
        }
    }
}
