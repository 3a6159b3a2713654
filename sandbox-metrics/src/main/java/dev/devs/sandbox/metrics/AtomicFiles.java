package dev.devs.sandbox.metrics;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Writes a file so that a reader sees either the old content or the new, never a half-written file:
 * write a temp file in the same directory, then rename it over the target with {@code ATOMIC_MOVE}.
 */
final class AtomicFiles {

    /** How the reporter puts bytes on disk; tests inject a slow or failing one. */
    @FunctionalInterface
    interface Writer {
        void write(Path target, byte[] content) throws IOException;
    }

    static final Writer DEFAULT = AtomicFiles::write;

    private AtomicFiles() {
    }

    /**
     * Writes {@code content} to {@code target} atomically, creating the parent directories if missing.
     * On failure the temp file is removed and the target keeps its previous content.
     */
    static void write(Path target, byte[] content) throws IOException {
        Path absolute = target.toAbsolutePath();
        Path dir = absolute.getParent();
        Files.createDirectories(dir);
        // Same directory as the target: a rename is only atomic within one file system.
        Path tmp = Files.createTempFile(dir, "." + absolute.getFileName() + ".", ".tmp", readableByAll(dir));
        try {
            Files.write(tmp, content);
            Files.move(tmp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** createTempFile makes files 0600; a report is meant to be read by other users and tools, like any output. */
    private static FileAttribute<?>[] readableByAll(Path dir) throws IOException {
        FileStore store = Files.getFileStore(dir);
        if (store.supportsFileAttributeView(PosixFileAttributeView.class)) {
            return new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--"))};
        }
        return new FileAttribute<?>[0];
    }
}
