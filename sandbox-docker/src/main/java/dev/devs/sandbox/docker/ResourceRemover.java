package dev.devs.sandbox.docker;

import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import java.util.List;

/**
 * Removes a sandbox's container (forced, with its anonymous volumes) and its scratch volumes. What is
 * already gone counts as removed. Removal runs even when the calling thread has been interrupted (an
 * interrupted start must still leave nothing behind); the interrupt status is kept for the caller.
 */
final class ResourceRemover {

    private final EngineCalls engine;
    private final EngineFailures failures;

    ResourceRemover(EngineCalls engine, EngineFailures failures) {
        this.engine = engine;
        this.failures = failures;
    }

    /**
     * Tries every removal even if one fails, then throws the first failure with the others suppressed.
     *
     * @param container the container's id or name; null when none was created
     * @throws dev.devs.sandbox.SandboxException naming what could not be removed and why
     */
    void removeAll(String sandboxId, String container, List<String> volumes) {
        RuntimeException failure = null;
        if (container != null) {
            try {
                engine.requestUninterruptibly(c -> c.removeContainerCmd(container).withForce(true).withRemoveVolumes(true).exec());
            } catch (NotFoundException gone) {
                // Nothing to remove.
            } catch (ConflictException e) {
                // "removal already in progress" means someone else is removing it: fine. Anything else is real.
                if (!EngineErrors.engineMessage(e).contains("already in progress")) {
                    failure = failures.afterStart(sandboxId, "remove container " + container, e);
                }
            } catch (RuntimeException e) {
                failure = failures.afterStart(sandboxId, "remove container " + container, e);
            }
        }
        for (String volume : volumes) {
            try {
                engine.requestUninterruptibly(c -> c.removeVolumeCmd(volume).exec());
            } catch (NotFoundException gone) {
                // Nothing to remove.
            } catch (RuntimeException e) {
                RuntimeException f = failures.afterStart(sandboxId, "remove volume " + volume, e);
                if (failure == null) {
                    failure = f;
                } else {
                    failure.addSuppressed(f);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
