package dev.devs.sandbox.webcontainer;

import dev.devs.sandbox.SandboxCapability;
import dev.devs.sandbox.SandboxExecException;
import dev.devs.sandbox.SandboxFileException;
import dev.devs.sandbox.SandboxFileException.Reason;
import dev.devs.sandbox.webcontainer.internal.cdp.CdpException;
import dev.devs.sandbox.webcontainer.internal.cdp.CdpSession.EvaluateResult;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Base64;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A WebContainer's files through its file-system API ({@code fs.readFile}, {@code writeFile}, {@code mkdir}, {@code rm},
 * {@code rename}), called in the page. What it cannot do honestly is not declared: listing with size, mode and
 * modified time ({@code readdir} gives names and types only), tree copies with modes (the API has no modes), ports
 * (the runtime's preview URLs are served by the hosted runtime, which the driver cannot reach here), streaming exec,
 * background process handles with signals, and terminals.
 *
 * <p>Contents cross the DevTools protocol whole, base64-encoded: a file costs its size in memory on both sides, and
 * files over {@link #MAX_FILE_BYTES} are refused naming the limit (the WebContainer keeps its files in the browser's
 * memory anyway).
 */
final class WebContainerFiles {

    /** What the WebContainer driver can do beyond start, exec and stop. */
    static final Set<SandboxCapability> CAPABILITIES = Collections.unmodifiableSet(EnumSet.of(SandboxCapability.EXEC,
            SandboxCapability.FILE_READ, SandboxCapability.FILE_WRITE, SandboxCapability.FILE_MANAGE));

    /** The largest file read or written in one piece: 64 MiB. */
    static final int MAX_FILE_BYTES = 64 * 1024 * 1024;

    private final String sandboxId;
    private final Harness harness;
    private volatile String workdir;

    WebContainerFiles(String sandboxId, Harness harness) {
        this.sandboxId = sandboxId;
        this.harness = harness;
    }

    /** The WebContainer's own working directory, against which relative paths resolve. */
    String workdir(Duration timeout) throws InterruptedException {
        String w = workdir;
        if (w == null) {
            w = call("workdir", "/", Map.of(), timeout).value().asText();
            workdir = w;
        }
        return w;
    }

    InputStream openRead(String path, Duration timeout) throws InterruptedException {
        byte[] bytes = Base64.getDecoder().decode(call("readFile", path, Map.of("path", path), timeout).value().asText());
        return new ByteArrayInputStream(bytes);
    }

    void write(String path, InputStream content, Duration timeout) throws InterruptedException {
        byte[] bytes;
        try {
            bytes = content.readNBytes(MAX_FILE_BYTES + 1);
        } catch (IOException e) {
            throw new SandboxFileException(path, Reason.OTHER, "reading the contents for " + path + " failed: " + e.getMessage(), e);
        }
        if (bytes.length > MAX_FILE_BYTES) {
            throw new SandboxFileException(path, Reason.NO_SPACE, "writing " + path + " in sandbox " + sandboxId
                    + " refused: the webcontainer driver writes files of at most " + MAX_FILE_BYTES + " bytes");
        }
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("files", java.util.List.of(Map.of("path", path, "base64", Base64.getEncoder().encodeToString(bytes))));
        call("writeFiles", path, args, timeout);
    }

    void delete(String path, boolean recursive, Duration timeout) throws InterruptedException {
        call("rm", path, Map.of("path", path, "recursive", recursive), timeout);
    }

    void mkdirs(String path, Duration timeout) throws InterruptedException {
        call("mkdir", path, Map.of("path", path), timeout);
    }

    void rename(String from, String to, Duration timeout) throws InterruptedException {
        try {
            call("rename", from, Map.of("from", from, "to", to), timeout);
        } catch (SandboxFileException e) {
            if (e.reason() == Reason.ALREADY_EXISTS) {
                throw new SandboxFileException(to, Reason.ALREADY_EXISTS, "renaming " + from + " to " + to + " in sandbox "
                        + sandboxId + " failed: " + to + " already exists");
            }
            throw e;
        }
    }

    private EvaluateResult call(String function, String path, Map<String, ?> args, Duration timeout) throws InterruptedException {
        EvaluateResult r;
        try {
            r = harness.call(function, args, timeout);
        } catch (CdpException e) {
            throw new SandboxExecException(sandboxId, function + " of " + path + " in sandbox " + sandboxId + " failed: "
                    + e.getMessage(), e);
        }
        if (r.threw()) {
            String said = r.exception();
            Reason reason = reason(said);
            throw new SandboxFileException(path, reason, function + " of " + path + " in sandbox " + sandboxId + " failed ("
                    + reason + "): " + said);
        }
        return r;
    }

    /** Node's error codes, as the WebContainer's file-system API reports them. */
    static Reason reason(String said) {
        if (said == null) {
            return Reason.OTHER;
        } else if (said.contains("ENOENT")) {
            return Reason.NOT_FOUND;
        } else if (said.contains("ENOTDIR")) {
            return Reason.NOT_A_DIRECTORY;
        } else if (said.contains("EISDIR")) {
            return Reason.IS_A_DIRECTORY;
        } else if (said.contains("EEXIST")) {
            return Reason.ALREADY_EXISTS;
        } else if (said.contains("ENOTEMPTY")) {
            return Reason.DIRECTORY_NOT_EMPTY;
        } else if (said.contains("ENOSPC")) {
            return Reason.NO_SPACE;
        } else if (said.contains("EROFS")) {
            return Reason.READ_ONLY;
        } else if (said.contains("EACCES") || said.contains("EPERM")) {
            return Reason.PERMISSION_DENIED;
        }
        return Reason.OTHER;
    }
}
