package dev.devs.sandbox.docker;

import dev.devs.sandbox.ExecSpec;
import dev.devs.sandbox.FileInfo;
import dev.devs.sandbox.SandboxExecTimeoutException;
import dev.devs.sandbox.SandboxFileException;
import dev.devs.sandbox.SandboxFileException.Reason;
import dev.devs.sandbox.SandboxProcess;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PushbackInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A Docker sandbox's files, through small {@code /bin/sh} scripts run by exec as the sandbox's user, with contents
 * streamed over the exec's attach stream (stdin in, stdout out; memory bounded by {@link BytePipe}).
 *
 * <p>Why not the engine's archive API ({@code docker cp}): it cannot see the tmpfs work directory (the engine copies
 * from the container's layers, not its tmpfs mounts), it cannot write to a read-only root file system, and it acts as
 * root, where a sandbox's user could not. The scripts need, besides {@code sh}: {@code cat}, {@code stat},
 * {@code mkdir}, {@code rm}, {@code rmdir}, {@code mv} and {@code tar} (BusyBox or coreutils); a sandbox without one
 * fails naming it. Errors are read from what the tools print ({@code strerror} texts, the same in every libc).
 */
final class ContainerFiles {

    private static final String READ = "[ -d \"$1\" ] && { echo \"$1: Is a directory\" >&2; exit 1; }; exec cat -- \"$1\"";
    /**
     * On every failure the rest of stdin is read and dropped before the exit: a script that ends with the host still
     * writing makes Podman's attach fail with "connection reset by peer" in place of the tool's own error.
     */
    private static final String WRITE = "d=${1%/*}; if [ -n \"$d\" ] && [ ! -d \"$d\" ]; then mkdir -p -- \"$d\" || { cat > /dev/null; exit 1; }; fi;"
            + " [ -d \"$1\" ] && { echo \"$1: Is a directory\" >&2; cat > /dev/null; exit 1; }; cat > \"$1\" || { cat > /dev/null; exit 1; }";
    private static final String STAT = "stat -c '%f %s %Y' -- \"$1\"";
    /** Per entry: {@code hexmode size mtime\n} then {@code <byte length of the name>:<name>}, so any name survives. */
    private static final String LIST = "stat -c %f -- \"$1\" > /dev/null || exit 1;"
            + " [ -d \"$1\" ] || { echo \"$1: Not a directory\" >&2; exit 1; }; cd -- \"$1\" || exit 1;"
            + " for f in .* *; do case \"$f\" in .|..) continue;; esac; { [ -e \"$f\" ] || [ -L \"$f\" ]; } || continue;"
            + " stat -c '%f %s %Y' -- \"$f\" || exit 1; printf '%s:%s' \"${#f}\" \"$f\"; done";
    private static final String DELETE = "stat -c %f -- \"$1\" > /dev/null || exit 1;"
            + " if [ \"$2\" = r ]; then rm -rf -- \"$1\"; elif [ -d \"$1\" ] && [ ! -L \"$1\" ]; then rmdir -- \"$1\"; else rm -f -- \"$1\"; fi";
    private static final String MKDIRS = "[ -d \"$1\" ] || mkdir -p -- \"$1\"";
    private static final String RENAME = "stat -c %f -- \"$1\" > /dev/null || exit 1;"
            + " if [ -e \"$2\" ] || [ -L \"$2\" ]; then echo \"$2: File exists\" >&2; exit 1; fi; mv -- \"$1\" \"$2\"";
    /** {@code umask 0}: the modes in the archive are applied as they are, by GNU tar and BusyBox tar alike. */
    private static final String UNTAR = "mkdir -p -- \"$1\" && cd -- \"$1\" && umask 0 && tar -x -f - || { cat > /dev/null; exit 1; }";
    private static final String TAR = "stat -c %f -- \"$1\" > /dev/null || exit 1;"
            + " if [ -d \"$1\" ]; then cd -- \"$1\" && exec tar -c -f - .; else cd -- \"${1%/*}/\" && exec tar -c -f - \"./${1##*/}\"; fi";

    private final ContainerSurface surface;

    ContainerFiles(ContainerSurface surface) {
        this.surface = surface;
    }

    InputStream openRead(String path, Duration timeout) throws InterruptedException {
        return openOutput(READ, path, timeout, "reading");
    }

    InputStream openTar(String path, Duration timeout) throws InterruptedException {
        return openOutput(TAR, path, timeout, "copying out");
    }

    void write(String path, InputStream content, Duration timeout) throws InterruptedException {
        Outcome o = run(WRITE, List.of(path), content, timeout);
        if (o.code != 0 && o.stderr.contains("File exists")) {
            // mkdir -p met a file on the way to the parent directory.
            throw new SandboxFileException(path, Reason.NOT_A_DIRECTORY, "writing " + path + " in sandbox "
                    + surface.sandboxId() + " failed: a file stands where a directory was expected (" + o.stderr.trim() + ")");
        }
        requireOk(path, "writing", o);
    }

    void untar(String dir, InputStream tar, Duration timeout) throws InterruptedException {
        requireOk(dir, "copying into", run(UNTAR, List.of(dir), tar, timeout));
    }

    FileInfo stat(String path, Duration timeout) throws InterruptedException {
        Outcome o = requireOk(path, "stat of", run(STAT, List.of(path), null, timeout));
        return info(path, new String(o.stdout, StandardCharsets.UTF_8).trim());
    }

    List<FileInfo> list(String dir, Duration timeout) throws InterruptedException {
        Outcome o = requireOk(dir, "listing", run(LIST, List.of(dir), null, timeout));
        List<FileInfo> entries = new ArrayList<>();
        byte[] b = o.stdout;
        int i = 0;
        while (i < b.length) {
            int nl = indexOf(b, (byte) '\n', i);
            String head = new String(b, i, nl - i, StandardCharsets.US_ASCII);
            int colon = indexOf(b, (byte) ':', nl + 1);
            int len = Integer.parseInt(new String(b, nl + 1, colon - nl - 1, StandardCharsets.US_ASCII));
            String name = new String(b, colon + 1, len, StandardCharsets.UTF_8);
            i = colon + 1 + len;
            entries.add(info((dir.equals("/") ? "" : dir) + "/" + name, head));
        }
        entries.sort(Comparator.comparing(FileInfo::name));
        return entries;
    }

    void delete(String path, boolean recursive, Duration timeout) throws InterruptedException {
        requireOk(path, "deleting", run(DELETE, List.of(path, recursive ? "r" : "-"), null, timeout));
    }

    void mkdirs(String path, Duration timeout) throws InterruptedException {
        Outcome o = run(MKDIRS, List.of(path), null, timeout);
        if (o.code != 0 && o.stderr.contains("File exists")) {
            throw new SandboxFileException(path, Reason.NOT_A_DIRECTORY, "making directory " + path + " in sandbox "
                    + surface.sandboxId() + " failed: a file stands on the way (" + o.stderr.trim() + ")");
        }
        requireOk(path, "making directory", o);
    }

    void rename(String from, String to, Duration timeout) throws InterruptedException {
        Outcome o = run(RENAME, List.of(from, to), null, timeout);
        if (o.code != 0 && o.stderr.startsWith(to + ": File exists")) {
            throw new SandboxFileException(to, Reason.ALREADY_EXISTS, "renaming " + from + " to " + to + " in sandbox "
                    + surface.sandboxId() + " failed: " + to + " already exists");
        }
        requireOk(from, "renaming " + to + " from", o);
    }

    private static FileInfo info(String path, String statLine) {
        String[] f = statLine.split(" ");
        int raw = Integer.parseInt(f[0], 16);
        FileInfo.Type type = switch (raw & 0170000) {
            case 0100000 -> FileInfo.Type.FILE;
            case 0040000 -> FileInfo.Type.DIRECTORY;
            case 0120000 -> FileInfo.Type.SYMLINK;
            default -> FileInfo.Type.OTHER;
        };
        String name = path.equals("/") ? "/" : path.substring(path.lastIndexOf('/') + 1);
        return new FileInfo(name, path, type, Long.parseLong(f[1]), raw & 07777, Instant.ofEpochSecond(Long.parseLong(f[2])));
    }

    private static int indexOf(byte[] b, byte c, int from) {
        for (int i = from; i < b.length; i++) {
            if (b[i] == c) {
                return i;
            }
        }
        throw new IllegalStateException("the sandbox's listing was cut short");
    }

    /** A script's stdout as a stream; fails at once when the script fails before its first byte. */
    private InputStream openOutput(String script, String path, Duration timeout, String doing) throws InterruptedException {
        SandboxProcess p = surface.start(spec(script, List.of(path)));
        try {
            p.stdin().close();
            PushbackInputStream in = new PushbackInputStream(p.stdout(), 1);
            int first = in.read();
            if (first < 0) {
                requireOk(path, doing, finish(p, timeout));
                p.close();
                return InputStream.nullInputStream();
            }
            in.unread(first);
            return new InputStream() {
                private boolean checked;

                @Override
                public int read() throws IOException {
                    byte[] one = new byte[1];
                    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    int n = in.read(b, off, len);
                    if (n < 0 && !checked) {
                        checked = true;
                        try {
                            requireOk(path, doing, finish(p, timeout));
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw new java.io.InterruptedIOException("interrupted while " + doing + " " + path);
                        } catch (SandboxFileException e) {
                            throw new IOException(e.getMessage(), e);
                        }
                    }
                    return n;
                }

                @Override
                public void close() {
                    p.close();
                }
            };
        } catch (IOException e) {
            p.close();
            throw new SandboxFileException(path, Reason.OTHER, doing + " " + path + " in sandbox " + surface.sandboxId()
                    + " failed: " + e.getMessage(), e);
        } catch (RuntimeException | InterruptedException e) {
            p.close();
            throw e;
        }
    }

    private record Outcome(int code, byte[] stdout, String stderr) {
    }

    /** Runs a script with {@code stdin} copied in (then closed) and its stdout kept (up to 64 MiB for a listing). */
    private Outcome run(String script, List<String> args, InputStream stdin, Duration timeout) throws InterruptedException {
        try (SandboxProcess p = surface.start(spec(script, args))) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Thread reader = new Thread(() -> {
                try {
                    copyCapped(p.stdout(), out, 64L << 20);
                } catch (IOException ignored) {
                    // Reported through the exit code and stderr.
                }
            }, "devs-docker-files");
            reader.setDaemon(true);
            reader.start();
            try (OutputStream in = p.stdin()) {
                if (stdin != null) {
                    stdin.transferTo(in);
                }
            } catch (IOException e) {
                // The script ended before taking all of stdin (a failed mkdir, a full disk): its exit says why.
            }
            Outcome o = finish(p, timeout);
            reader.join(Math.max(1, timeout.toMillis()));
            synchronized (out) {
                return new Outcome(o.code, out.toByteArray(), o.stderr);
            }
        }
    }

    private Outcome finish(SandboxProcess p, Duration timeout) throws InterruptedException {
        if (!p.waitFor(timeout)) {
            p.destroyForcibly();
            throw new SandboxExecTimeoutException(surface.sandboxId(), timeout, "a file operation in sandbox "
                    + surface.sandboxId() + " did not finish within " + timeout + "; it was killed");
        }
        String err;
        try {
            err = new String(p.stderr().readNBytes(64 * 1024), StandardCharsets.UTF_8);
        } catch (IOException e) {
            err = "";
        }
        return new Outcome(p.exitValue(), new byte[0], err);
    }

    private static void copyCapped(InputStream in, ByteArrayOutputStream out, long cap) throws IOException {
        byte[] buf = new byte[64 * 1024];
        long total = 0;
        int n;
        while ((n = in.read(buf)) >= 0) {
            if (total + n > cap) {
                throw new IOException("more than " + cap + " bytes");
            }
            synchronized (out) {
                out.write(buf, 0, n);
            }
            total += n;
        }
    }

    private Outcome requireOk(String path, String doing, Outcome o) {
        if (o.code == 0) {
            return o;
        }
        String said = o.stderr.trim();
        if (o.code == 127) {
            throw new SandboxFileException(path, Reason.OTHER, doing + " " + path + " in sandbox " + surface.sandboxId()
                    + " needs a tool its image lacks: " + said);
        }
        Reason reason = reason(said);
        throw new SandboxFileException(path, reason, doing + " " + path + " in sandbox " + surface.sandboxId() + " failed ("
                + describe(reason) + "): " + ContainerDiagnostics.clip(said));
    }

    static Reason reason(String stderr) {
        if (stderr.contains("No such file or directory")) {
            return Reason.NOT_FOUND;
        } else if (stderr.contains("Not a directory")) {
            return Reason.NOT_A_DIRECTORY;
        } else if (stderr.contains("Is a directory")) {
            return Reason.IS_A_DIRECTORY;
        } else if (stderr.contains("Directory not empty")) {
            return Reason.DIRECTORY_NOT_EMPTY;
        } else if (stderr.contains("No space left on device") || stderr.contains("Disk quota exceeded")) {
            return Reason.NO_SPACE;
        } else if (stderr.contains("Read-only file system")) {
            return Reason.READ_ONLY;
        } else if (stderr.contains("Permission denied") || stderr.contains("Operation not permitted")) {
            return Reason.PERMISSION_DENIED;
        } else if (stderr.contains("File exists")) {
            return Reason.ALREADY_EXISTS;
        }
        return Reason.OTHER;
    }

    private static String describe(Reason r) {
        return switch (r) {
            case NOT_FOUND -> "no such file or directory";
            case NOT_A_DIRECTORY -> "a file where a directory was expected";
            case IS_A_DIRECTORY -> "a directory where a file was expected";
            case DIRECTORY_NOT_EMPTY -> "directory not empty";
            case NO_SPACE -> "the file system is full";
            case READ_ONLY -> "read-only file system";
            case PERMISSION_DENIED -> "permission denied";
            case ALREADY_EXISTS -> "it already exists";
            case OTHER -> "the sandbox said";
        };
    }

    private static ExecSpec spec(String script, List<String> args) {
        List<String> cmd = new ArrayList<>(List.of("sh", "-c", script, "sh"));
        cmd.addAll(args);
        return ExecSpec.builder(cmd).build();
    }
}
