package dev.devs.sandbox.webcontainer;

import dev.devs.sandbox.ExecResult;
import dev.devs.sandbox.spi.PhaseRecorder;
import dev.devs.sandbox.spi.SandboxDriver;
import dev.devs.sandbox.StopOutcome;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One booted WebContainer: a page in its own browser context. {@code exec} goes through the WebContainer
 * {@code spawn} API ({@link SpawnExec}); {@code stop} tears the WebContainer down and disposes the context
 * ({@link Teardown}), as does the spec's maximum lifetime if it passes first. Thread-safe; stopping twice, or from
 * two threads at once, stops once and returns that outcome.
 */
final class WebContainerHandle implements SandboxDriver.Handle {

    private static final Logger log = LoggerFactory.getLogger(WebContainerHandle.class);

    private final SandboxPage page;
    private final SpawnExec exec;
    private final WebContainerFiles files;
    private final Teardown teardown;
    private final ScheduledFuture<?> expiry;
    private StopOutcome stopped; // guarded by this
    /** Bound on asking the page for its WebContainer's working directory. */
    private static final Duration FILE_CALL_TIMEOUT = Duration.ofSeconds(30);

    /** Ends the sandbox at {@code maxLifetime} on {@code timer} if it has not been stopped by then. */
    WebContainerHandle(SandboxPage page, SpawnExec exec, WebContainerFiles files, Teardown teardown,
                       ScheduledExecutorService timer, Duration maxLifetime) {
        this.files = files;
        this.page = page;
        this.exec = exec;
        this.teardown = teardown;
        this.expiry = timer.schedule(this::expire, maxLifetime.toNanos(), TimeUnit.NANOSECONDS);
    }

    /**
     * The spec's maximum lifetime has passed: tear the WebContainer down and dispose its context, now. A later
     * stop() reports KILLED (it did not end on request). Without a JVM there is no browser either (its watchdog
     * kills it with the JVM), so the lifetime holds in every case.
     */
    private synchronized void expire() {
        if (stopped != null) {
            return;
        }
        try {
            teardown.stop(Duration.ZERO, (name, nanos) -> { });
            log.info("sandbox ended: its maxLifetime has passed");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.warn("ending a sandbox at its maxLifetime failed", e);
        }
        stopped = StopOutcome.KILLED;
    }

    @Override
    public java.util.Set<dev.devs.sandbox.SandboxCapability> capabilities() {
        return WebContainerFiles.CAPABILITIES;
    }

    @Override
    public String workingDirectory() throws InterruptedException {
        return files.workdir(FILE_CALL_TIMEOUT);
    }

    @Override
    public java.io.InputStream openRead(String path, Duration timeout) throws InterruptedException {
        return files.openRead(path, timeout);
    }

    @Override
    public void write(String path, java.io.InputStream content, Duration timeout) throws InterruptedException {
        files.write(path, content, timeout);
    }

    @Override
    public void delete(String path, boolean recursive, Duration timeout) throws InterruptedException {
        files.delete(path, recursive, timeout);
    }

    @Override
    public void mkdirs(String path, Duration timeout) throws InterruptedException {
        files.mkdirs(path, timeout);
    }

    @Override
    public void rename(String from, String to, Duration timeout) throws InterruptedException {
        files.rename(from, to, timeout);
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
        expiry.cancel(false);
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
