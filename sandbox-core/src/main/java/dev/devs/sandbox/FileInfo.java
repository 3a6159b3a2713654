package dev.devs.sandbox;

import java.time.Instant;
import java.util.Objects;

/**
 * What {@link SandboxFiles#list(String)} and {@link SandboxFiles#stat(String)} report about one path in a sandbox.
 * A symbolic link is reported as itself (not followed).
 *
 * @param name         the last component of the path
 * @param path         the absolute path in the sandbox
 * @param type         file, directory, symbolic link or other
 * @param size         size in bytes (for a symbolic link, the length of its target)
 * @param mode         permission bits, e.g. {@code 0755} (without the type bits)
 * @param modifiedTime last modification, to the second
 */
public record FileInfo(String name, String path, Type type, long size, int mode, Instant modifiedTime) {

    /** The kind of file a path is. */
    public enum Type { FILE, DIRECTORY, SYMLINK, OTHER }

    public FileInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(modifiedTime, "modifiedTime");
        if (size < 0) {
            throw new IllegalArgumentException("size " + size + " of " + path + " is negative");
        }
        if (mode < 0 || mode > 07777) {
            throw new IllegalArgumentException("mode " + Integer.toOctalString(mode) + " of " + path + " is not in 0..07777");
        }
    }

    /** Whether it is a directory. */
    public boolean isDirectory() {
        return type == Type.DIRECTORY;
    }

    /** Whether it is a regular file. */
    public boolean isFile() {
        return type == Type.FILE;
    }
}
