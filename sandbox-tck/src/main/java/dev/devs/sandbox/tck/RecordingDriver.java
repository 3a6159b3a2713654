package dev.devs.sandbox.tck;

import dev.devs.sandbox.ExecResult;
import dev.devs.sandbox.ExecSpec;
import dev.devs.sandbox.FileInfo;
import dev.devs.sandbox.SandboxCapability;
import dev.devs.sandbox.SandboxEndpoint;
import dev.devs.sandbox.SandboxProcess;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.SandboxTerminal;
import dev.devs.sandbox.StopOutcome;
import dev.devs.sandbox.spi.PhaseRecorder;
import dev.devs.sandbox.spi.SandboxDriver;
import dev.devs.sandbox.spi.StartContext;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A driver that forwards to a real one and writes down every working-surface call that reaches a sandbox's handle,
 * so that the contract can see a refused capability reached nothing.
 */
final class RecordingDriver implements SandboxDriver {

    private final SandboxDriver real;
    private final List<String> reached;

    RecordingDriver(SandboxDriver real, List<String> reached) {
        this.real = real;
        this.reached = reached;
    }

    @Override
    public String name() {
        return real.name();
    }

    @Override
    public void validate(SandboxSpec spec) {
        real.validate(spec);
    }

    @Override
    public Set<SandboxCapability> capabilities() {
        return real.capabilities();
    }

    @Override
    public Handle start(SandboxSpec spec, StartContext context) throws InterruptedException {
        return new Recording(real.start(spec, context));
    }

    @Override
    public void removeOrphans() {
        real.removeOrphans();
    }

    @Override
    public void close() {
        real.close();
    }

    private final class Recording implements Handle {
        private final Handle h;

        Recording(Handle h) {
            this.h = h;
        }

        private void note(String call) {
            synchronized (reached) {
                reached.add(call);
            }
        }

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
        public Set<SandboxCapability> capabilities() {
            return h.capabilities();
        }

        @Override
        public void pause(Duration timeout) throws InterruptedException {
            note("pause");
            h.pause(timeout);
        }

        @Override
        public void resume(Duration timeout) throws InterruptedException {
            note("resume");
            h.resume(timeout);
        }

        @Override
        public boolean isPaused() {
            return h.isPaused();
        }

        @Override
        public SandboxDriver.Checkpoint checkpoint(String snapshotId, Duration timeout) throws InterruptedException {
            note("checkpoint " + snapshotId);
            return h.checkpoint(snapshotId, timeout);
        }

        @Override
        public SandboxProcess start(ExecSpec spec) throws InterruptedException {
            note("start " + spec);
            return h.start(spec);
        }

        @Override
        public SandboxTerminal openTerminal(ExecSpec spec, int columns, int rows) throws InterruptedException {
            note("openTerminal " + spec);
            return h.openTerminal(spec, columns, rows);
        }

        @Override
        public InputStream openRead(String path, Duration timeout) throws InterruptedException {
            note("openRead " + path);
            return h.openRead(path, timeout);
        }

        @Override
        public void write(String path, InputStream content, Duration timeout) throws InterruptedException {
            note("write " + path);
            h.write(path, content, timeout);
        }

        @Override
        public List<FileInfo> list(String dir, Duration timeout) throws InterruptedException {
            note("list " + dir);
            return h.list(dir, timeout);
        }

        @Override
        public FileInfo stat(String path, Duration timeout) throws InterruptedException {
            note("stat " + path);
            return h.stat(path, timeout);
        }

        @Override
        public void delete(String path, boolean recursive, Duration timeout) throws InterruptedException {
            note("delete " + path);
            h.delete(path, recursive, timeout);
        }

        @Override
        public void mkdirs(String path, Duration timeout) throws InterruptedException {
            note("mkdirs " + path);
            h.mkdirs(path, timeout);
        }

        @Override
        public void rename(String from, String to, Duration timeout) throws InterruptedException {
            note("rename " + from);
            h.rename(from, to, timeout);
        }

        @Override
        public void untar(String dir, InputStream tar, Duration timeout) throws InterruptedException {
            note("untar " + dir);
            h.untar(dir, tar, timeout);
        }

        @Override
        public InputStream openTar(String path, Duration timeout) throws InterruptedException {
            note("openTar " + path);
            return h.openTar(path, timeout);
        }

        @Override
        public SandboxEndpoint endpoint(int port) throws InterruptedException {
            note("endpoint " + port);
            return h.endpoint(port);
        }

        @Override
        public StopOutcome stop(Duration gracePeriod, PhaseRecorder phases) throws InterruptedException {
            return h.stop(gracePeriod, phases);
        }

        @Override
        public boolean isAlive() {
            return h.isAlive();
        }

        @Override
        public java.util.Map<String, String> liveAttributes() {
            return h.liveAttributes();
        }
    }
}
