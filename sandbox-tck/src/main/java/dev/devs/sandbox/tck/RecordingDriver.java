package dev.devs.sandbox.tck;

import dev.devs.sandbox.ExecSpec;
import dev.devs.sandbox.FileInfo;
import dev.devs.sandbox.SandboxEndpoint;
import dev.devs.sandbox.SandboxProcess;
import dev.devs.sandbox.SandboxTerminal;
import dev.devs.sandbox.spi.SandboxDriver;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;

/**
 * A driver that forwards to a real one and writes down every working-surface call that reaches a sandbox's handle,
 * so that the contract can see a refused capability reached nothing.
 */
final class RecordingDriver extends ForwardingDriver {

    private final List<String> reached;

    RecordingDriver(SandboxDriver real, List<String> reached) {
        super(real);
        this.reached = reached;
    }

    @Override
    Handle wrap(Handle handle, String sandboxId) {
        return new Recording(handle);
    }

    private final class Recording extends ForwardingHandle {

        Recording(Handle h) {
            super(h);
        }

        private void note(String call) {
            synchronized (reached) {
                reached.add(call);
            }
        }

        @Override
        public void pause(Duration timeout) throws InterruptedException {
            note("pause");
            super.pause(timeout);
        }

        @Override
        public void resume(Duration timeout) throws InterruptedException {
            note("resume");
            super.resume(timeout);
        }

        @Override
        public SandboxDriver.Checkpoint checkpoint(String snapshotId, Duration timeout) throws InterruptedException {
            note("checkpoint " + snapshotId);
            return super.checkpoint(snapshotId, timeout);
        }

        @Override
        public SandboxProcess start(ExecSpec spec) throws InterruptedException {
            note("start " + spec);
            return super.start(spec);
        }

        @Override
        public SandboxTerminal openTerminal(ExecSpec spec, int columns, int rows) throws InterruptedException {
            note("openTerminal " + spec);
            return super.openTerminal(spec, columns, rows);
        }

        @Override
        public InputStream openRead(String path, Duration timeout) throws InterruptedException {
            note("openRead " + path);
            return super.openRead(path, timeout);
        }

        @Override
        public void write(String path, InputStream content, Duration timeout) throws InterruptedException {
            note("write " + path);
            super.write(path, content, timeout);
        }

        @Override
        public List<FileInfo> list(String dir, Duration timeout) throws InterruptedException {
            note("list " + dir);
            return super.list(dir, timeout);
        }

        @Override
        public FileInfo stat(String path, Duration timeout) throws InterruptedException {
            note("stat " + path);
            return super.stat(path, timeout);
        }

        @Override
        public void delete(String path, boolean recursive, Duration timeout) throws InterruptedException {
            note("delete " + path);
            super.delete(path, recursive, timeout);
        }

        @Override
        public void mkdirs(String path, Duration timeout) throws InterruptedException {
            note("mkdirs " + path);
            super.mkdirs(path, timeout);
        }

        @Override
        public void rename(String from, String to, Duration timeout) throws InterruptedException {
            note("rename " + from);
            super.rename(from, to, timeout);
        }

        @Override
        public void untar(String dir, InputStream tar, Duration timeout) throws InterruptedException {
            note("untar " + dir);
            super.untar(dir, tar, timeout);
        }

        @Override
        public InputStream openTar(String path, Duration timeout) throws InterruptedException {
            note("openTar " + path);
            return super.openTar(path, timeout);
        }

        @Override
        public SandboxEndpoint endpoint(int port) throws InterruptedException {
            note("endpoint " + port);
            return super.endpoint(port);
        }
    }
}
