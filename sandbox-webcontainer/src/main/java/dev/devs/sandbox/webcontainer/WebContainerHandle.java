package dev.devs.sandbox.webcontainer;

import dev.devs.sandbox.ExecResult;
import dev.devs.sandbox.PhaseRecorder;
import dev.devs.sandbox.SandboxDriver;
import dev.devs.sandbox.StopOutcome;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * One booted WebContainer: a page in its own browser context. {@code exec} goes through the WebContainer
 * {@code spawn} API ({@link SpawnExec}); {@code stop} tears the WebContainer down and disposes the context
 * ({@link Teardown}). Thread-safe; stopping twice, or from two threads at once, stops once and returns that outcome.
 */
final class WebContainerHandle implements SandboxDriver.Handle {

    private final SandboxPage page;
    private final SpawnExec exec;
    private final Teardown teardown;
    private StopOutcome stopped; // guarded by this

    WebContainerHandle(SandboxPage page, SpawnExec exec, Teardown teardown) {
        this.page = page;
        this.exec = exec;
        this.teardown = teardown;
    }

    /** See {@link SpawnExec#run}: stdout and stderr arrive merged in {@link ExecResult#stdout()}. */
    @Override
    public ExecResult exec(List<String> command, Duration timeout) throws InterruptedException {
        return exec.run(command, timeout);
    }

    /** A pooled claim's exec: its env over the spec's, in its working directory (spawn's {@code cwd}). */
    @Override
    public ExecResult exec(List<String> command, Map<String, String> env, String workingDir, Duration timeout)
            throws InterruptedException {
        return exec.run(command, env, workingDir, timeout);
    }

    /** Through the WebContainer's file-system API; see {@link SpawnExec#writeFiles}. */
    @Override
    public void writeFiles(Map<String, byte[]> files, String workingDir, Duration timeout) throws InterruptedException {
        exec.writeFiles(files, workingDir, timeout);
    }

    /** See {@link Teardown#stop}; a second call waits for the first and returns its outcome. */
    @Override
    public synchronized StopOutcome stop(Duration gracePeriod, PhaseRecorder phases) throws InterruptedException {
        if (stopped == null) {
            stopped = teardown.stop(gracePeriod, phases);
        }
        return stopped;
    }

    @Override
    public boolean isAlive() {
        return page.isAlive();
    }
}
