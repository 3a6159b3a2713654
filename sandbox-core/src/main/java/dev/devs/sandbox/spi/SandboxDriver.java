package dev.devs.sandbox.spi;

import dev.devs.sandbox.ExecResult;
import dev.devs.sandbox.ExecSpec;
import dev.devs.sandbox.FileInfo;
import dev.devs.sandbox.SandboxCapability;
import dev.devs.sandbox.SandboxEndpoint;
import dev.devs.sandbox.SandboxProcess;
import dev.devs.sandbox.SandboxTerminal;
import dev.devs.sandbox.SandboxExecException;
import dev.devs.sandbox.SandboxExecTimeoutException;
import dev.devs.sandbox.SandboxPool;
import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.SandboxStartException;
import dev.devs.sandbox.SandboxTimeoutException;
import dev.devs.sandbox.StopOutcome;
import java.io.InputStream;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The service-provider interface a sandbox technology implements. Drivers do the work; the
 * {@link SandboxProvider} owns ids, timing, events and bookkeeping, so every driver gets the same
 * event contract without writing it again.
 *
 * <p>A driver is thread-safe: the provider may call {@link #start} from several threads at once.
 * It knows nothing about metrics or listeners: it reports what only it can know (start type, phase
 * durations, attributes) through the {@link StartContext}.
 */
public interface SandboxDriver extends AutoCloseable {

    /** Short lower-case name used in events, reports and metric tags, e.g. {@code docker}. */
    String name();

    /**
     * Rejects a spec this driver cannot honour, before any event is emitted or resource created.
     * The default accepts every spec.
     *
     * @throws IllegalArgumentException naming the field, the value and what would be valid
     */
    default void validate(SandboxSpec spec) {
    }

    /**
     * Provisions one sandbox and returns once it is ready: running and, if the spec has one, its
     * readiness probe succeeded. Must respect {@link StartContext#remaining()} and throw a
     * {@link SandboxTimeoutException} when it runs out.
     *
     * <p>On failure, throw (preferably a {@link SandboxStartException} subclass whose message names the bad
     * value) after removing everything this start created.
     */
    Handle start(SandboxSpec spec, StartContext context) throws InterruptedException;

    /**
     * Starts a new sandbox from a checkpoint that a handle of this driver made ({@link Handle#checkpoint}), with the spec
     * of the sandbox it was taken of: its processes and in-memory files are those of the checkpoint's moment, and
     * everything else (owner, maximum lifetime counted from now, isolation, cleanup) is as for a fresh start. Same
     * contract as {@link #start}: returns once ready, respects {@link StartContext#remaining()}, removes what it
     * created when it fails. The provider marks it {@link dev.devs.sandbox.StartType#FORKED}.
     *
     * Only called when {@link #capabilities()} lists {@link SandboxCapability#SNAPSHOT}.
     *
     * @throws UnsupportedOperationException if this driver cannot fork (the default)
     */
    default Handle fork(SandboxSpec spec, Checkpoint checkpoint, StartContext context) throws InterruptedException {
        throw new UnsupportedOperationException("driver " + name() + " cannot start a sandbox from a checkpoint");
    }

    /** A driver's grip on one stored checkpoint. Thread-safe. */
    interface Checkpoint {

        /** Its size in bytes, as stored. */
        long sizeBytes();

        /** Where it is stored (a directory, a URL), for people and logs. */
        String location();

        /**
         * Detaches it from its owner: no sweep of what dead owners left may remove it now, only {@link #remove()}.
         * Idempotent. The default does nothing, for a driver whose sweeps never look at checkpoints.
         */
        default void keep() {
        }

        /**
         * Deletes it. Idempotent: what is already gone counts as removed.
         *
         * @throws RuntimeException when it could not be deleted (a later call tries again)
         */
        void remove();
    }

    /**
     * What a host can do with this driver's sandboxes beyond start, buffered exec and stop, for a host to ask before
     * it starts one. The default is {@link SandboxCapability#EXEC} alone. {@link Handle#capabilities()} says the same
     * for one sandbox.
     */
    default Set<SandboxCapability> capabilities() {
        return EnumSet.of(SandboxCapability.EXEC);
    }

    /**
     * Removes what owners that are provably dead left behind (resources labelled with a process of this host that
     * no longer exists, or anything past its maximum lifetime), and never what a live owner holds. The provider
     * calls it in the background when it is built. The default does nothing: a driver whose sandboxes cannot
     * outlive their owner has nothing to sweep.
     *
     * @throws RuntimeException when the technology cannot be asked; the provider logs it
     */
    default void removeOrphans() {
    }

    /**
     * Releases what the driver holds for all sandboxes (clients, browser processes). Idempotent.
     * Sandboxes still alive are the provider's business; it stops them before closing the driver.
     */
    @Override
    void close();

    /** A driver's grip on one ready sandbox. Thread-safe. */
    interface Handle {

        /**
         * Runs a command inside the sandbox and waits for it.
         *
         * @throws SandboxExecTimeoutException when it does not finish within {@code timeout} (after trying to kill it)
         * @throws SandboxExecException        when it cannot run or finish (the sandbox ended, the technology failed)
         */
        ExecResult exec(List<String> command, Duration timeout) throws InterruptedException;

        /**
         * Runs a command with extra environment variables (added to the sandbox's own) and in a working
         * directory ({@code null}: the sandbox's default). This is how a pooled sandbox carries one claim's
         * customisation. The default handles only the plain case; a driver that cannot honour the options
         * throws {@link UnsupportedOperationException} naming the option.
         */
        default ExecResult exec(List<String> command, Map<String, String> env, @Nullable String workingDir, Duration timeout)
                throws InterruptedException {
            if (env.isEmpty() && workingDir == null) {
                return exec(command, timeout);
            }
            throw new UnsupportedOperationException("this driver cannot run a command with " + (env.isEmpty() ? "" : "extra env ")
                    + (workingDir == null ? "" : "working directory '" + workingDir + "'"));
        }

        /**
         * Writes files into the sandbox, creating parent directories: keys are paths (absolute, or relative to
         * {@code workingDir}, or to the sandbox's default working directory when it is null), values the contents.
         * Either every file is written or the call throws. The default throws {@link UnsupportedOperationException}:
         * a driver that can write files overrides it.
         *
         * @throws SandboxExecTimeoutException when it does not finish within {@code timeout}
         * @throws SandboxExecException        when it fails
         */
        default void writeFiles(Map<String, byte[]> files, @Nullable String workingDir, Duration timeout) throws InterruptedException {
            throw new UnsupportedOperationException("this driver cannot write files into a sandbox (asked for " + files.keySet() + ")");
        }

        /**
         * Called by a {@link SandboxPool} on a sandbox it has just made idle, on the pool's own thread and off every
         * claim's path: a driver may prepare what makes a claim's customisation cheap at hand-out. The default does
         * nothing. Must not throw for a sandbox that works without it.
         */
        default void prepareForClaim() throws InterruptedException {
        }

        /**
         * Called by a {@link SandboxPool} once a claim's customisation is applied, before the hand-out: a driver
         * releases what {@link #prepareForClaim()} set up, so the claimant's sandbox holds nothing of the pool.
         */
        default void claimed() {
        }

        /**
         * Asks the sandbox to exit, waits up to {@code gracePeriod}, kills it if needed, and removes
         * everything the start created (container, volumes, browser context). Called once, and again only after a
         * call that threw (the provider retries a release that failed): what is already gone counts as released.
         *
         * @return whether it exited in time or had to be killed (or had already died)
         */
        StopOutcome stop(Duration gracePeriod, PhaseRecorder phases) throws InterruptedException;

        /**
         * What this sandbox supports; the {@link dev.devs.sandbox.Sandbox} checks it before every call, so a method
         * below is only called for a capability listed here. The default is {@link SandboxCapability#EXEC} alone.
         */
        default Set<SandboxCapability> capabilities() {
            return EnumSet.of(SandboxCapability.EXEC);
        }

        /**
         * Driver facts that change during the sandbox's life (for example which path its commands take now), added to
         * the start's attributes by {@link dev.devs.sandbox.Sandbox#attributes()}. Read on the caller's thread; fast,
         * no engine call. The default has none.
         */
        default Map<String, String> liveAttributes() {
            return Map.of();
        }

        /**
         * The absolute directory against which the sandbox resolves a relative path of its working surface, or null
         * (the default) for the spec's {@link SandboxSpec#workDir()}; a driver whose sandboxes choose their own
         * (a WebContainer's workdir) says which.
         */
        default @Nullable String workingDirectory() throws InterruptedException {
            return null;
        }

        /**
         * Starts a command and returns at once with its handle ({@link SandboxCapability#PROCESSES}). The spec's
         * working directory is absolute and its env already holds a pooled claim's; its stdin (if any) and timeout
         * are the caller's business, not the driver's: the process's stdin stays open until the caller closes it.
         * The driver must end the process with the sandbox and make a handle on an ended sandbox say so.
         */
        default SandboxProcess start(ExecSpec spec) throws InterruptedException {
            throw refused(SandboxCapability.PROCESSES);
        }

        /** Starts a command under a pseudo-terminal of the given size ({@link SandboxCapability#TERMINAL}). */
        default SandboxTerminal openTerminal(ExecSpec spec, int columns, int rows) throws InterruptedException {
            throw refused(SandboxCapability.TERMINAL);
        }

        /** An absolute file as a stream; fails at once for a missing path or a directory ({@link SandboxCapability#FILE_READ}). */
        default InputStream openRead(String path, Duration timeout) throws InterruptedException {
            throw refused(SandboxCapability.FILE_READ);
        }

        /** Creates or replaces an absolute file with the stream's contents, parents made ({@link SandboxCapability#FILE_WRITE}). */
        default void write(String path, InputStream content, Duration timeout) throws InterruptedException {
            throw refused(SandboxCapability.FILE_WRITE);
        }

        /** A directory's entries sorted by name ({@link SandboxCapability#FILE_LIST}). */
        default List<FileInfo> list(String dir, Duration timeout) throws InterruptedException {
            throw refused(SandboxCapability.FILE_LIST);
        }

        /** One path, not following a final symbolic link ({@link SandboxCapability#FILE_LIST}). */
        default FileInfo stat(String path, Duration timeout) throws InterruptedException {
            throw refused(SandboxCapability.FILE_LIST);
        }

        /** Deletes a path, a non-empty directory only when recursive ({@link SandboxCapability#FILE_MANAGE}). */
        default void delete(String path, boolean recursive, Duration timeout) throws InterruptedException {
            throw refused(SandboxCapability.FILE_MANAGE);
        }

        /** Makes a directory and its parents ({@link SandboxCapability#FILE_MANAGE}). */
        default void mkdirs(String path, Duration timeout) throws InterruptedException {
            throw refused(SandboxCapability.FILE_MANAGE);
        }

        /** Renames a path; fails if the target exists ({@link SandboxCapability#FILE_MANAGE}). */
        default void rename(String from, String to, Duration timeout) throws InterruptedException {
            throw refused(SandboxCapability.FILE_MANAGE);
        }

        /** Unpacks a tar stream into a directory, made if missing, modes kept ({@link SandboxCapability#TREE_COPY}). */
        default void untar(String dir, InputStream tar, Duration timeout) throws InterruptedException {
            throw refused(SandboxCapability.TREE_COPY);
        }

        /** The tree at a path as a tar stream; fails at once for a missing path ({@link SandboxCapability#TREE_COPY}). */
        default InputStream openTar(String path, Duration timeout) throws InterruptedException {
            throw refused(SandboxCapability.TREE_COPY);
        }

        /** Where the host reaches a port the spec declared ({@link SandboxCapability#PORTS}). */
        default SandboxEndpoint endpoint(int port) throws InterruptedException {
            throw refused(SandboxCapability.PORTS);
        }

        /** The refusal of the defaults above: reached only when a handle's capabilities list what it does not implement. */
        private static UnsupportedOperationException refused(SandboxCapability capability) {
            return new UnsupportedOperationException("this driver's handle does not implement " + capability);
        }

        /** Whether the sandbox is still running, as far as the driver can tell cheaply. */
        boolean isAlive();

        /**
         * Stops every process of the sandbox (no CPU used) while keeping its memory, its files and everything that
         * ends it: it still dies with its owner and at its maximum lifetime while paused. Returns once every
         * process is stopped. A paused sandbox can be stopped without resuming it first. Only called when
         * {@link #capabilities()} lists {@link SandboxCapability#PAUSE}; a driver that lists it overrides
         * {@link #pause}, {@link #resume} and {@link #isPaused}.
         *
         * @throws UnsupportedOperationException if not implemented (the default); the caller sees it as a
         *                                       {@link dev.devs.sandbox.SandboxCapabilityException}
         * @throws SandboxTimeoutException       when the sandbox did not confirm within {@code timeout}
         */
        default void pause(Duration timeout) throws InterruptedException {
            throw refused(SandboxCapability.PAUSE);
        }

        /**
         * Lets the processes {@link #pause} stopped run again, from where they were. Returns once they run.
         *
         * @throws UnsupportedOperationException if not implemented (the default)
         * @throws SandboxTimeoutException       when the sandbox did not confirm within {@code timeout}
         */
        default void resume(Duration timeout) throws InterruptedException {
            throw refused(SandboxCapability.PAUSE);
        }

        /** Whether the sandbox is paused: {@link #pause} returned and {@link #resume} has not since. Default false. */
        default boolean isPaused() {
            return false;
        }

        /**
         * Writes a checkpoint of the sandbox's processes and in-memory files, from which {@link SandboxDriver#fork} starts
         * new sandboxes. The sandbox may end with it (a runtime that cannot leave it running); the provider stops it
         * afterwards either way. Refusals (this sandbox's runtime or engine cannot checkpoint) come before anything is
         * done, and leave the sandbox running. Only called when {@link #capabilities()} lists
         * {@link SandboxCapability#SNAPSHOT}.
         *
         * @param snapshotId names the checkpoint ({@code snap-} and 12 hex digits)
         * @throws UnsupportedOperationException naming what is missing (a runtime, an engine setting), when it cannot be
         *                                       done for this sandbox (the default: never); the caller sees it as a
         *                                       {@link dev.devs.sandbox.SandboxCapabilityException} with
         *                                       {@link SandboxCapability#SNAPSHOT}
         * @throws SandboxTimeoutException       when it did not finish within {@code timeout}
         */
        default Checkpoint checkpoint(String snapshotId, Duration timeout) throws InterruptedException {
            throw refused(SandboxCapability.SNAPSHOT);
        }
    }
}
