package dev.devs.sandbox;

import dev.devs.sandbox.spi.SandboxDriver;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A checkpoint of a sandbox's memory and files, made by {@link Sandbox#checkpoint()}, from which
 * {@link SandboxProvider#fork(SandboxSnapshot)} starts new, independent sandboxes. Thread-safe.
 *
 * <h2>What it holds and where</h2>
 * The state of every process of the sandbox and of its in-memory file systems (work directory, {@code /tmp}) at the
 * moment of the checkpoint, as the runtime wrote it: {@link #location()} is where (for the Docker driver, a
 * directory on the engine's host), {@link #sizeBytes()} how much. It may hold whatever the sandbox had in memory,
 * secrets included: it is readable only by the engine's user.
 *
 * <h2>Who removes it</h2>
 * Its owner, by {@link #remove()} (or {@link #close()}, the same); otherwise the provider that made it, when that
 * provider closes, unless {@link #keep()} was called, in which case only {@link #remove()} does. Forks do not need it
 * once they are ready: removing it ends none of them. After a {@code kill -9} of the owning JVM, the orphan sweep of
 * the next provider on that host removes it (see docs/guide/snapshots.md), unless it was kept.
 */
public final class SandboxSnapshot implements AutoCloseable {

    private final String id;
    private final String driver;
    private final String sourceSandboxId;
    private final SandboxSpec spec;
    private final Instant createdAt;
    private final Duration checkpointDuration;
    private final SandboxDriver.Checkpoint checkpoint;
    private final SandboxProvider provider;
    private final AtomicBoolean kept = new AtomicBoolean();
    private final AtomicBoolean removed = new AtomicBoolean();

    SandboxSnapshot(String id, String driver, String sourceSandboxId, SandboxSpec spec, Instant createdAt,
                    Duration checkpointDuration, SandboxDriver.Checkpoint checkpoint, SandboxProvider provider) {
        this.id = id;
        this.driver = driver;
        this.sourceSandboxId = sourceSandboxId;
        this.spec = spec;
        this.createdAt = createdAt;
        this.checkpointDuration = checkpointDuration;
        this.checkpoint = checkpoint;
        this.provider = provider;
    }

    /** Its id, {@code snap-} and 12 hex digits; names its files. */
    public String id() {
        return id;
    }

    /** The driver that made it, and the only one that can fork it. */
    public String driver() {
        return driver;
    }

    /** The sandbox it was taken of. */
    public String sourceSandboxId() {
        return sourceSandboxId;
    }

    /** The spec of that sandbox, which every fork of it runs with. */
    public SandboxSpec spec() {
        return spec;
    }

    /** When the checkpoint was taken (provider clock). */
    public Instant createdAt() {
        return createdAt;
    }

    /** How long taking it took (monotonic clock). */
    public Duration checkpointDuration() {
        return checkpointDuration;
    }

    /** Its size on disk, in bytes, as written by the runtime. */
    public long sizeBytes() {
        return checkpoint.sizeBytes();
    }

    /** Where it lives, e.g. a directory on the engine's host. */
    public String location() {
        return checkpoint.location();
    }

    /**
     * Keeps it when its provider closes, and when its owning JVM dies: only {@link #remove()} removes it then. Returns
     * this snapshot.
     *
     * @throws SandboxException when the driver could not detach it from its owner (it is not kept then)
     */
    public SandboxSnapshot keep() {
        if (!kept.get()) {
            checkpoint.keep();
            kept.set(true);
        }
        return this;
    }

    /** Whether {@link #keep()} was called. */
    public boolean isKept() {
        return kept.get();
    }

    /** Whether it has been removed; a removed snapshot cannot be forked. */
    public boolean isRemoved() {
        return removed.get();
    }

    /**
     * Removes its files. Idempotent. Forks made from it are not affected.
     *
     * @throws SandboxException when the files could not be removed (a later call tries again)
     */
    public void remove() {
        if (removed.compareAndSet(false, true)) {
            try {
                checkpoint.remove();
            } catch (RuntimeException e) {
                removed.set(false);
                throw e instanceof SandboxException s ? s
                        : new SandboxException("removing snapshot " + id + " at " + location() + " failed: " + e.getMessage(), e);
            }
            provider.forget(this);
        }
    }

    /** Same as {@link #remove()}. */
    @Override
    public void close() {
        remove();
    }

    SandboxDriver.Checkpoint checkpoint() {
        return checkpoint;
    }

    SandboxProvider provider() {
        return provider;
    }

    /**
     * Refuses a fork of this snapshot by any provider but the one that made it, or once removed.
     *
     * @param fix what to do instead when another provider made it
     */
    void requireForkableBy(SandboxProvider forker, String fix) {
        if (provider != forker) {
            throw new IllegalArgumentException("snapshot " + id + " was made by another provider: " + fix);
        }
        if (isRemoved()) {
            throw new IllegalArgumentException("snapshot " + id + " has been removed: take a new checkpoint");
        }
    }

    @Override
    public String toString() {
        return "SandboxSnapshot[" + driver + "/" + id + " of " + sourceSandboxId + ", " + Objects.toString(location()) + "]";
    }
}
