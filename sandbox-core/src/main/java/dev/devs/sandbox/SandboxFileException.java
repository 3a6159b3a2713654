package dev.devs.sandbox;

/**
 * A file operation in a sandbox ({@link SandboxFiles}) that failed on a path: the message names the path and the
 * {@link #reason()} says why in a form a program can test.
 */
public class SandboxFileException extends SandboxException {
    private static final long serialVersionUID = 1L;

    /** Why a file operation failed. */
    public enum Reason {
        /** The path, or a directory on the way to it, does not exist. */
        NOT_FOUND,
        /** A file stands where a directory was expected (on the way to the path, or as the path of a listing). */
        NOT_A_DIRECTORY,
        /** A directory stands where a file was expected. */
        IS_A_DIRECTORY,
        /** The path exists and the operation would have replaced it. */
        ALREADY_EXISTS,
        /** A directory to delete without {@code recursive} is not empty. */
        DIRECTORY_NOT_EMPTY,
        /** The file system holding the path is full (a tmpfs at its size, a volume at its quota). */
        NO_SPACE,
        /** The path is on a read-only file system. */
        READ_ONLY,
        /** The sandbox's user may not do this to the path. */
        PERMISSION_DENIED,
        /** Anything else; the message carries what the sandbox said. */
        OTHER
    }

    private final String path;
    private final Reason reason;

    public SandboxFileException(String path, Reason reason, String message) {
        super(message);
        this.path = path;
        this.reason = reason;
    }

    public SandboxFileException(String path, Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.path = path;
        this.reason = reason;
    }

    /** The path in the sandbox the operation failed on. */
    public String path() {
        return path;
    }

    /** Why it failed. */
    public Reason reason() {
        return reason;
    }
}
