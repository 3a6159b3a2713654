package dev.devs.sandbox.tck;

import dev.devs.sandbox.ExecResult;
import dev.devs.sandbox.Sandbox;
import dev.devs.sandbox.SandboxException;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.StopOutcome;
import dev.devs.sandbox.spi.PhaseRecorder;
import dev.devs.sandbox.spi.SandboxDriver;
import dev.devs.sandbox.spi.StartContext;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The driver under test behind a wrapper that passes every call through, except a release a check asks to fail
 * once (before or after asking the driver), and that counts the releases asked of the driver per sandbox.
 */
final class ReleaseFaultDriver implements SandboxDriver {
    static final String PLANTED = "release failure planted by the contract";
    final SandboxDriver delegate;
    /** sandbox id -> whether the planted failure comes after the driver's release (true) or instead of it. */
    private final Map<String, Boolean> failOnce = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> releases = new ConcurrentHashMap<>();

    ReleaseFaultDriver(SandboxDriver delegate) {
        this.delegate = delegate;
    }

    void failReleaseOnce(String sandboxId, boolean afterRelease) {
        failOnce.put(sandboxId, afterRelease);
    }

    int releases(String sandboxId) {
        AtomicInteger n = releases.get(sandboxId);
        return n == null ? 0 : n.get();
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public void validate(SandboxSpec spec) {
        delegate.validate(spec);
    }

    @Override
    public void removeOrphans() {
        delegate.removeOrphans();
    }

    @Override
    public java.util.Set<dev.devs.sandbox.SandboxCapability> capabilities() {
        return delegate.capabilities();
    }

    @Override
    public void close() {
        delegate.close();
    }

    @Override
    public Handle start(SandboxSpec spec, StartContext context) throws InterruptedException {
        Handle h = delegate.start(spec, context);
        String id = context.sandboxId();
        return new Handle() {
            @Override
            public ExecResult exec(List<String> command, Duration timeout) throws InterruptedException {
                return h.exec(command, timeout);
            }

            @Override
            public ExecResult exec(List<String> command, Map<String, String> env, String workingDir, Duration timeout)
                    throws InterruptedException {
                return h.exec(command, env, workingDir, timeout);
            }

            @Override
            public void writeFiles(Map<String, byte[]> files, String workingDir, Duration timeout) throws InterruptedException {
                h.writeFiles(files, workingDir, timeout);
            }

            @Override
            public void prepareForClaim() throws InterruptedException {
                h.prepareForClaim();
            }

            @Override
            public void claimed() {
                h.claimed();
            }

            @Override
            public StopOutcome stop(Duration gracePeriod, PhaseRecorder phases) throws InterruptedException {
                releases.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
                Boolean after = failOnce.remove(id);
                if (after != null && !after) {
                    throw new SandboxException(PLANTED + " (before the driver's release of " + id + ")");
                }
                StopOutcome outcome = h.stop(gracePeriod, phases);
                if (after != null) {
                    throw new SandboxException(PLANTED + " (after the driver's release of " + id + ": " + outcome + ")");
                }
                return outcome;
            }

            @Override
            public boolean isAlive() {
                return h.isAlive();
            }

            // Everything else passes straight through, so that the checks see the driver's own handle.
            @Override
            public Map<String, String> liveAttributes() {
                return h.liveAttributes();
            }

            @Override
            public java.util.Set<dev.devs.sandbox.SandboxCapability> capabilities() {
                return h.capabilities();
            }

            @Override
            public @org.jspecify.annotations.Nullable String workingDirectory() throws InterruptedException {
                return h.workingDirectory();
            }

            @Override
            public dev.devs.sandbox.SandboxProcess start(dev.devs.sandbox.ExecSpec spec) throws InterruptedException {
                return h.start(spec);
            }

            @Override
            public dev.devs.sandbox.SandboxTerminal openTerminal(dev.devs.sandbox.ExecSpec spec, int columns, int rows)
                    throws InterruptedException {
                return h.openTerminal(spec, columns, rows);
            }

            @Override
            public java.io.InputStream openRead(String path, Duration timeout) throws InterruptedException {
                return h.openRead(path, timeout);
            }

            @Override
            public void write(String path, java.io.InputStream content, Duration timeout) throws InterruptedException {
                h.write(path, content, timeout);
            }

            @Override
            public List<dev.devs.sandbox.FileInfo> list(String dir, Duration timeout) throws InterruptedException {
                return h.list(dir, timeout);
            }

            @Override
            public dev.devs.sandbox.FileInfo stat(String path, Duration timeout) throws InterruptedException {
                return h.stat(path, timeout);
            }

            @Override
            public void delete(String path, boolean recursive, Duration timeout) throws InterruptedException {
                h.delete(path, recursive, timeout);
            }

            @Override
            public void mkdirs(String path, Duration timeout) throws InterruptedException {
                h.mkdirs(path, timeout);
            }

            @Override
            public void rename(String from, String to, Duration timeout) throws InterruptedException {
                h.rename(from, to, timeout);
            }

            @Override
            public void untar(String dir, java.io.InputStream tar, Duration timeout) throws InterruptedException {
                h.untar(dir, tar, timeout);
            }

            @Override
            public java.io.InputStream openTar(String path, Duration timeout) throws InterruptedException {
                return h.openTar(path, timeout);
            }

            @Override
            public dev.devs.sandbox.SandboxEndpoint endpoint(int port) throws InterruptedException {
                return h.endpoint(port);
            }

            @Override
            public void pause(Duration timeout) throws InterruptedException {
                h.pause(timeout);
            }

            @Override
            public void resume(Duration timeout) throws InterruptedException {
                h.resume(timeout);
            }

            @Override
            public boolean isPaused() {
                return h.isPaused();
            }

            @Override
            public Checkpoint checkpoint(String snapshotId, Duration timeout) throws InterruptedException {
                return h.checkpoint(snapshotId, timeout);
            }
        };
    }
}
