package dev.devs.sandbox;

import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;

/**
 * A command running in a sandbox, shaped like {@link Process}: started by {@link Sandbox#start(ExecSpec)} (or
 * {@link Sandbox#openTerminal}), it returns at once and runs in the background. Thread-safe.
 *
 * <p>Streams: {@link #stdout()} and {@link #stderr()} deliver output as it is produced, through a bounded buffer:
 * a process whose output nobody reads is slowed (as on the host), never buffered without bound. Read both, or ask
 * for {@link ExecSpec.Builder#redirectErrorStream(boolean) merged} output. {@link #stdin()} writes to the process;
 * closing it gives the process end-of-file.
 *
 * <p>Life: the process ends on its own, by {@link #signal}/{@link #destroy()}/{@link #destroyForcibly()} (which
 * reach its children too), by its {@link ExecSpec#timeout()}, or with its sandbox. A handle whose sandbox has
 * ended says so: {@link #isAlive()} is false, and {@link #waitFor} and {@link #exitValue()} throw a
 * {@link SandboxExecException} naming the sandbox unless the exit code was already known. {@link #close()}
 * releases the streams (and the connection behind them) without ending the process.
 */
public interface SandboxProcess extends AutoCloseable {

    /** An id for this process, unique within its sandbox (for a Docker sandbox, the engine's exec id). */
    String id();

    /** The process's standard output (with stderr merged in when asked). */
    InputStream stdout();

    /** The process's standard error; empty at once when merged into {@link #stdout()} or under a terminal. */
    InputStream stderr();

    /** The process's standard input; {@code close()} it to give the process end-of-file. */
    OutputStream stdin();

    /** Whether the process is still running, as far as the driver can tell now. */
    boolean isAlive();

    /**
     * Waits up to {@code timeout} for the process to end.
     *
     * @return true if it ended ({@link #exitValue()} then answers), false if it still runs
     * @throws SandboxExecException if its sandbox has ended before the exit code was known
     */
    boolean waitFor(Duration timeout) throws InterruptedException;

    /**
     * The exit code: 128 + n for a process ended by signal n.
     *
     * @throws IllegalStateException if it still runs
     * @throws SandboxExecException  if its sandbox has ended before the exit code was known
     */
    int exitValue();

    /**
     * Sends a signal to the process and every process it started, e.g. {@code TERM}, {@code INT}, {@code HUP},
     * {@code KILL} (names as {@code kill -l} prints them, without {@code SIG}).
     *
     * @throws IllegalArgumentException     if the name is not a signal name
     * @throws SandboxCapabilityException if the driver cannot signal processes
     */
    void signal(String signal);

    /** Asks the process and its children to end ({@code TERM}); returns at once. A process that has ended: nothing. */
    default void destroy() {
        signal("TERM");
    }

    /** Kills the process and its children ({@code KILL}); returns once they are gone, or the driver cannot tell. */
    void destroyForcibly();

    /** Releases the streams and the connection behind them; the process runs on. Idempotent. */
    @Override
    void close();
}
