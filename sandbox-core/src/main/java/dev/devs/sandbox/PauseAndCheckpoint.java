package dev.devs.sandbox;

import dev.devs.sandbox.spi.SandboxDriver;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Sandbox#pause()}, {@link Sandbox#resume()} and {@link Sandbox#checkpoint()} behind the public methods: what
 * the driver cannot do becomes a {@link SandboxCapabilityException} naming driver and capability, before anything is
 * done. A checkpoint's refusal leaves the sandbox running; any other failure stops it, since a half-taken checkpoint
 * may have ended it already.
 */
final class PauseAndCheckpoint {

    private static final Logger log = LoggerFactory.getLogger(PauseAndCheckpoint.class);

    private PauseAndCheckpoint() {
    }

    static void pauseOrResume(Sandbox sandbox, boolean pause) {
        String what = pause ? "pause" : "resume";
        sandbox.require(SandboxCapability.PAUSE);
        try {
            if (pause) {
                sandbox.handle.pause(Sandbox.PAUSE_TIMEOUT);
            } else {
                sandbox.handle.resume(Sandbox.PAUSE_TIMEOUT);
            }
        } catch (UnsupportedOperationException e) {
            throw refused(sandbox, SandboxCapability.PAUSE, e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxException(what + " of sandbox " + sandbox.id() + " was interrupted", e);
        }
    }

    /** Refuses, before anything is done, a checkpoint of a sandbox with scratch volumes, which a checkpoint does not hold. */
    static void requireCheckpointable(Sandbox sandbox) {
        List<String> volumes = sandbox.spec().scratchVolumes();
        if (!volumes.isEmpty()) {
            throw refused(sandbox, SandboxCapability.SNAPSHOT, "it has scratch volumes " + volumes
                    + ", whose contents a checkpoint does not hold: checkpoint a sandbox without scratch volumes (its work"
                    + " directory and /tmp are kept)", null);
        }
    }

    /**
     * A refusal of the sandbox's driver (an {@link UnsupportedOperationException} of the SPI, or a reason of the core's)
     * as the one exception the API throws for what cannot be done there, naming the driver and the capability.
     */
    static SandboxCapabilityException refused(Sandbox sandbox, SandboxCapability capability, String reason, Throwable cause) {
        SandboxCapabilityException e = new SandboxCapabilityException(sandbox.driver(), capability, "the " + sandbox.driver()
                + " driver cannot do " + capability + " for sandbox " + sandbox.id() + ": " + reason);
        if (cause != null) {
            e.initCause(cause);
        }
        return e;
    }

    /** Refuses, before anything is done, a fork by a driver without {@link SandboxCapability#SNAPSHOT}. */
    static void requireCanFork(SandboxDriver driver, SandboxSnapshot snapshot) {
        if (!driver.capabilities().contains(SandboxCapability.SNAPSHOT)) {
            throw new SandboxCapabilityException(driver.name(), SandboxCapability.SNAPSHOT, "the " + driver.name()
                    + " driver cannot do " + SandboxCapability.SNAPSHOT + ": it cannot fork snapshot " + snapshot.id()
                    + " (its capabilities are " + driver.capabilities() + ")");
        }
    }

    /** Takes the checkpoint; the caller records the snapshot, then stops the sandbox, which ends with it. */
    static SandboxSnapshot take(SandboxProvider provider, Sandbox sandbox, String driver, Clock clock) {
        String snapshotId = SandboxStart.newId("snap");
        Instant at = clock.instant();
        long t0 = System.nanoTime();
        SandboxDriver.Checkpoint checkpoint;
        try {
            checkpoint = sandbox.handle.checkpoint(snapshotId, Sandbox.CHECKPOINT_TIMEOUT);
        } catch (SandboxCapabilityException refused) {
            throw refused; // nothing was done: the sandbox runs on
        } catch (UnsupportedOperationException refused) {
            throw refused(sandbox, SandboxCapability.SNAPSHOT, refused.getMessage(), refused); // as above
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopQuietly(sandbox);
            throw new SandboxException("checkpoint of sandbox " + sandbox.id() + " was interrupted; the sandbox is stopped", e);
        } catch (RuntimeException e) {
            stopQuietly(sandbox);
            throw e instanceof SandboxException s ? s : new SandboxException("checkpoint of sandbox " + sandbox.id()
                    + " failed; the sandbox is stopped: " + e.getMessage(), e);
        }
        return new SandboxSnapshot(snapshotId, driver, sandbox.id(), sandbox.spec(), at,
                Duration.ofNanos(System.nanoTime() - t0), checkpoint, provider);
    }

    /** Removes the snapshots not {@link SandboxSnapshot#keep() kept}, logging a failure: a provider's close goes on. */
    static void removeUnkept(Collection<SandboxSnapshot> snapshots) {
        for (SandboxSnapshot snapshot : snapshots) {
            if (!snapshot.isKept()) {
                try {
                    snapshot.remove();
                } catch (RuntimeException e) {
                    log.warn("removing snapshot {} on close failed; its files stay at {}", snapshot.id(), snapshot.location(), e);
                }
            }
        }
    }

    /** Stops the sandbox through its provider, logging a failure: the checkpoint's outcome is what the caller gets. */
    static void stopQuietly(Sandbox sandbox) {
        try {
            sandbox.stop();
        } catch (RuntimeException e) {
            log.warn("stopping sandbox {} after its checkpoint failed", sandbox.id(), e);
        }
    }
}
