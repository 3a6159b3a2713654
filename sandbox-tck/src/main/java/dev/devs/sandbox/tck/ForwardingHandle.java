package dev.devs.sandbox.tck;

import dev.devs.sandbox.ExecResult;
import dev.devs.sandbox.ExecSpec;
import dev.devs.sandbox.FileInfo;
import dev.devs.sandbox.SandboxCapability;
import dev.devs.sandbox.SandboxEndpoint;
import dev.devs.sandbox.SandboxProcess;
import dev.devs.sandbox.SandboxTerminal;
import dev.devs.sandbox.StopOutcome;
import dev.devs.sandbox.spi.PhaseRecorder;
import dev.devs.sandbox.spi.SandboxDriver;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A sandbox handle that passes every call through to the driver's own, so that a wrapper of the contract overrides
 * only the calls it watches or faults and the checks see the driver's handle in everything else. Each call of the
 * working surface beyond exec (processes, terminals, files, ports, pause, checkpoint) is first told to
 * {@link #reaching(String)}.
 */
class ForwardingHandle implements SandboxDriver.Handle {

    final SandboxDriver.Handle delegate;

    ForwardingHandle(SandboxDriver.Handle delegate) {
        this.delegate = delegate;
    }

    /** Told of each working-surface call before it is passed through, e.g. {@code "openRead /work/a"}; does nothing here. */
    void reaching(String call) {
    }

    @Override
    public ExecResult exec(List<String> command, Duration timeout) throws InterruptedException {
        return delegate.exec(command, timeout);
    }

    @Override
    public ExecResult exec(List<String> command, Map<String, String> env, @Nullable String workingDir, Duration timeout)
            throws InterruptedException {
        return delegate.exec(command, env, workingDir, timeout);
    }

    @Override
    public void writeFiles(Map<String, byte[]> files, @Nullable String workingDir, Duration timeout) throws InterruptedException {
        delegate.writeFiles(files, workingDir, timeout);
    }

    @Override
    public void prepareForClaim() throws InterruptedException {
        delegate.prepareForClaim();
    }

    @Override
    public void claimed() {
        delegate.claimed();
    }

    @Override
    public StopOutcome stop(Duration gracePeriod, PhaseRecorder phases) throws InterruptedException {
        return delegate.stop(gracePeriod, phases);
    }

    @Override
    public Set<SandboxCapability> capabilities() {
        return delegate.capabilities();
    }

    @Override
    public Map<String, String> liveAttributes() {
        return delegate.liveAttributes();
    }

    @Override
    public @Nullable String workingDirectory() throws InterruptedException {
        return delegate.workingDirectory();
    }

    @Override
    public SandboxProcess start(ExecSpec spec) throws InterruptedException {
        reaching("start " + spec);
        return delegate.start(spec);
    }

    @Override
    public SandboxTerminal openTerminal(ExecSpec spec, int columns, int rows) throws InterruptedException {
        reaching("openTerminal " + spec);
        return delegate.openTerminal(spec, columns, rows);
    }

    @Override
    public InputStream openRead(String path, Duration timeout) throws InterruptedException {
        reaching("openRead " + path);
        return delegate.openRead(path, timeout);
    }

    @Override
    public void write(String path, InputStream content, Duration timeout) throws InterruptedException {
        reaching("write " + path);
        delegate.write(path, content, timeout);
    }

    @Override
    public List<FileInfo> list(String dir, Duration timeout) throws InterruptedException {
        reaching("list " + dir);
        return delegate.list(dir, timeout);
    }

    @Override
    public FileInfo stat(String path, Duration timeout) throws InterruptedException {
        reaching("stat " + path);
        return delegate.stat(path, timeout);
    }

    @Override
    public void delete(String path, boolean recursive, Duration timeout) throws InterruptedException {
        reaching("delete " + path);
        delegate.delete(path, recursive, timeout);
    }

    @Override
    public void mkdirs(String path, Duration timeout) throws InterruptedException {
        reaching("mkdirs " + path);
        delegate.mkdirs(path, timeout);
    }

    @Override
    public void rename(String from, String to, Duration timeout) throws InterruptedException {
        reaching("rename " + from);
        delegate.rename(from, to, timeout);
    }

    @Override
    public void untar(String dir, InputStream tar, Duration timeout) throws InterruptedException {
        reaching("untar " + dir);
        delegate.untar(dir, tar, timeout);
    }

    @Override
    public InputStream openTar(String path, Duration timeout) throws InterruptedException {
        reaching("openTar " + path);
        return delegate.openTar(path, timeout);
    }

    @Override
    public SandboxEndpoint endpoint(int port) throws InterruptedException {
        reaching("endpoint " + port);
        return delegate.endpoint(port);
    }

    @Override
    public boolean isAlive() {
        return delegate.isAlive();
    }

    @Override
    public void pause(Duration timeout) throws InterruptedException {
        reaching("pause");
        delegate.pause(timeout);
    }

    @Override
    public void resume(Duration timeout) throws InterruptedException {
        reaching("resume");
        delegate.resume(timeout);
    }

    @Override
    public boolean isPaused() {
        return delegate.isPaused();
    }

    @Override
    public SandboxDriver.Checkpoint checkpoint(String snapshotId, Duration timeout) throws InterruptedException {
        reaching("checkpoint " + snapshotId);
        return delegate.checkpoint(snapshotId, timeout);
    }
}
