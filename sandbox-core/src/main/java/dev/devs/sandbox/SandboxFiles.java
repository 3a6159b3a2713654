package dev.devs.sandbox;

import dev.devs.sandbox.internal.Tar;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The file system of one sandbox, as {@link Sandbox#files()} gives it. Paths are strings in the sandbox: absolute,
 * or relative to the sandbox's working directory (a pooled claim's, or {@link SandboxSpec#workDir()}); {@code ..} is
 * refused. Every operation runs as the sandbox's user, so it can do what a command in the sandbox could, no more.
 *
 * <p>Failures name the path: a {@link SandboxFileException} whose {@link SandboxFileException#reason() reason} is
 * {@code NOT_FOUND}, {@code NOT_A_DIRECTORY}, {@code NO_SPACE}, {@code READ_ONLY}... An operation whose capability
 * the driver lacks throws {@link SandboxCapabilityException} before touching the sandbox. Streams are copied in
 * bounded memory whatever the size of the file or tree. Bounded operations wait at most {@link #TIMEOUT}.
 */
public final class SandboxFiles {

    /** The bound on each operation that is not a stream (read of bytes, write of bytes, list, stat, ...). */
    public static final Duration TIMEOUT = Duration.ofSeconds(60);

    private final Sandbox sandbox;

    SandboxFiles(Sandbox sandbox) {
        this.sandbox = sandbox;
    }

    /** The whole file (for a large one, prefer {@link #openRead}). */
    public byte[] read(String path) {
        try (InputStream in = openRead(path)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new SandboxFileException(sandbox.resolve(path), SandboxFileException.Reason.OTHER,
                    "reading " + sandbox.resolve(path) + " in sandbox " + sandbox.id() + " failed: " + e.getMessage(), e);
        }
    }

    /**
     * The file as a stream: opening it fails at once for a missing path or a directory; the caller closes it.
     * An error the sandbox reports after the first bytes (the file shrank) surfaces as an {@link IOException}.
     */
    public InputStream openRead(String path) {
        return get(SandboxCapability.FILE_READ, path, p -> sandbox.handle.openRead(p, TIMEOUT));
    }

    /** Writes (creates or replaces) a file with {@code content}, creating its parent directories. */
    public void write(String path, byte[] content) {
        Objects.requireNonNull(content, "content");
        write(path, new java.io.ByteArrayInputStream(content.clone()));
    }

    /**
     * Writes (creates or replaces) a file with everything {@code content} holds, creating its parent directories,
     * copying in bounded memory; returns when the file is complete. Does not close {@code content}.
     */
    public void write(String path, InputStream content) {
        Objects.requireNonNull(content, "content");
        run(SandboxCapability.FILE_WRITE, path, p -> sandbox.handle.write(p, content, TIMEOUT));
    }

    /** The entries of a directory (not {@code .} and {@code ..}), sorted by name. */
    public List<FileInfo> list(String dir) {
        return get(SandboxCapability.FILE_LIST, dir, p -> sandbox.handle.list(p, TIMEOUT));
    }

    /** What the path is (a symbolic link is reported as itself). */
    public FileInfo stat(String path) {
        return get(SandboxCapability.FILE_LIST, path, p -> sandbox.handle.stat(p, TIMEOUT));
    }

    /** Whether the path exists (a dangling symbolic link exists). */
    public boolean exists(String path) {
        try {
            stat(path);
            return true;
        } catch (SandboxFileException e) {
            if (e.reason() == SandboxFileException.Reason.NOT_FOUND) {
                return false;
            }
            throw e;
        }
    }

    /**
     * Deletes a file, a symbolic link or a directory; a directory with entries only when {@code recursive}.
     *
     * @throws SandboxFileException {@code NOT_FOUND} if there is nothing at the path, {@code DIRECTORY_NOT_EMPTY}
     */
    public void delete(String path, boolean recursive) {
        run(SandboxCapability.FILE_MANAGE, path, p -> sandbox.handle.delete(p, recursive, TIMEOUT));
    }

    /** Makes a directory and any missing parents; a directory already there is fine. */
    public void mkdirs(String path) {
        run(SandboxCapability.FILE_MANAGE, path, p -> sandbox.handle.mkdirs(p, TIMEOUT));
    }

    /**
     * Renames (moves) {@code from} to {@code to}, as {@link java.nio.file.Files#move} without options.
     *
     * @throws SandboxFileException {@code ALREADY_EXISTS} if {@code to} exists, {@code NOT_FOUND} if {@code from} does not
     */
    public void rename(String from, String to) {
        String f = use(SandboxCapability.FILE_MANAGE, from);
        String t = sandbox.resolve(to);
        sandbox.call(() -> {
            sandbox.handle.rename(f, t, TIMEOUT);
            return null;
        });
    }

    /**
     * Unpacks a tar stream into the directory {@code dir} (made if missing), keeping modes; returns when done. Does
     * not close {@code tar}.
     */
    public void writeTar(String dir, InputStream tar) {
        Objects.requireNonNull(tar, "tar");
        run(SandboxCapability.TREE_COPY, dir, p -> sandbox.handle.untar(p, tar, TIMEOUT));
    }

    /**
     * The tree at {@code path} (a directory's contents, or one file) as a tar stream, modes kept, produced as it is
     * read; the caller closes it. Opening fails at once for a missing path.
     */
    public InputStream openTar(String path) {
        return get(SandboxCapability.TREE_COPY, path, p -> sandbox.handle.openTar(p, TIMEOUT));
    }

    /** Copies the host directory tree {@code hostDir} into {@code dir} in the sandbox, modes kept, in bounded memory. */
    public void copyIn(Path hostDir, String dir) {
        Objects.requireNonNull(hostDir, "hostDir");
        if (!java.nio.file.Files.isDirectory(hostDir)) {
            throw new IllegalArgumentException("hostDir " + hostDir + " is not a directory on the host: give a directory to copy in");
        }
        use(SandboxCapability.TREE_COPY, dir);
        try (InputStream tar = Tar.stream(hostDir)) {
            writeTar(dir, tar);
        } catch (IOException e) {
            throw new UncheckedIOException("copying " + hostDir + " into " + dir + " of sandbox " + sandbox.id() + " failed", e);
        }
    }

    /**
     * Copies the tree at {@code path} in the sandbox (a directory's contents, or one file) into the host directory
     * {@code hostDir} (made if missing), modes kept, in bounded memory.
     */
    public void copyOut(String path, Path hostDir) {
        Objects.requireNonNull(hostDir, "hostDir");
        try (InputStream tar = openTar(path)) {
            Tar.extract(tar, hostDir);
        } catch (IOException e) {
            throw new UncheckedIOException("copying " + path + " of sandbox " + sandbox.id() + " to " + hostDir + " failed", e);
        }
    }

    /** Checks the capability and the path, and returns the path made absolute against the working directory. */
    private String use(SandboxCapability capability, String path) {
        Objects.requireNonNull(path, "path");
        sandbox.require(capability);
        return sandbox.resolve(path);
    }

    /** A driver call on a path made absolute. */
    private interface OnPath<T> {
        T call(String path) throws Exception;
    }

    /** A driver call on a path made absolute, with no result. */
    private interface DoOnPath {
        void call(String path) throws Exception;
    }

    /** Checks {@code capability} and {@code path}, then makes {@code call} on the path made absolute. */
    private <T> T get(SandboxCapability capability, String path, OnPath<T> call) {
        String p = use(capability, path);
        return sandbox.call(() -> call.call(p));
    }

    private void run(SandboxCapability capability, String path, DoOnPath call) {
        get(capability, path, p -> {
            call.call(p);
            return null;
        });
    }
}
