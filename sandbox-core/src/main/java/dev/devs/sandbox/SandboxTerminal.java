package dev.devs.sandbox;

/**
 * A command under a pseudo-terminal in a sandbox ({@link Sandbox#openTerminal}): raw bytes in through
 * {@link #stdin()}, raw bytes (the terminal's output, stdout and stderr together, with the terminal's own
 * processing such as echo and CRLF) out through {@link #stdout()}. {@link #stderr()} is always empty.
 */
public interface SandboxTerminal extends SandboxProcess {

    /**
     * Sets the terminal's size, as a terminal emulator does when its window changes (the process gets
     * {@code SIGWINCH}).
     *
     * @throws IllegalArgumentException if a dimension is not in 1..65535
     */
    void resize(int columns, int rows);
}
