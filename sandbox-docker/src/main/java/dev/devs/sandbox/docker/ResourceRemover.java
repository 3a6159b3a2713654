package dev.devs.sandbox.docker;

import com.github.dockerjava.api.command.InspectVolumeResponse;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import dev.devs.sandbox.ResourceLabels;
import com.github.dockerjava.api.model.WaitResponse;
import com.github.dockerjava.api.model.WaitContainerCondition;
import dev.devs.sandbox.SandboxException;
import java.time.Duration;
import java.util.List;

/**
 * Removes a sandbox's container (forced, with its anonymous volumes) and its scratch volumes. What is
 * already gone counts as removed. Removal runs even when the calling thread has been interrupted (an
 * interrupted start must still leave nothing behind); the interrupt status is kept for the caller.
 */
final class ResourceRemover {

    private static final Duration GONE_WAIT = Duration.ofSeconds(10);

    private final EngineCalls engine;
    private final EngineFailureTranslator failures;

    ResourceRemover(EngineCalls engine, EngineFailureTranslator failures) {
        this.engine = engine;
        this.failures = failures;
    }

    /**
     * Removes the container with its anonymous volumes, waits until the engine's own removal of it (it is created
     * with {@code AutoRemove}) has finished if that raced ahead, then removes whatever volume still carries the
     * sandbox's id. Tries every removal even if one fails, then throws the first failure with the others suppressed.
     *
     * @param container the container's id or name; null when none was created
     * @throws dev.devs.sandbox.SandboxException naming what could not be removed and why
     */
    void removeAll(String sandboxId, String container) {
        removeAll(sandboxId, container, true);
    }

    /**
     * As {@link #removeAll(String, String)}; with {@code mayHaveVolumes} false (a started sandbox whose spec has no scratch
     * volumes: the driver creates volumes only as those) the engine is not asked for volumes, which saves a stop one call.
     */
    void removeAll(String sandboxId, String container, boolean mayHaveVolumes) {
        RuntimeException failure = null;
        if (container != null) {
            try {
                engine.requestUninterruptibly(c -> c.removeContainerCmd(container).withForce(true).withRemoveVolumes(true).exec());
            } catch (NotFoundException gone) {
                // Nothing to remove.
            } catch (ConflictException e) {
                // "removal already in progress": the engine's auto-removal is at it. Anything else is real.
                if (!EngineErrorClassifier.engineMessage(e).contains("already in progress")) {
                    failure = failures.afterStart(sandboxId, "remove container " + container, e);
                } else {
                    failure = awaitGone(sandboxId, container);
                }
            } catch (RuntimeException e) {
                if (EngineErrorClassifier.isGone(e)) {
                    // Podman: a 500 "no such container" while its auto-removal races this one.
                } else if (String.valueOf(e.getMessage()).contains("state improper")) {
                    // Podman: a 500 "container state improper" while its own clean-up of the exited container (AutoRemove)
                    // holds it; wait for that removal, then force ours once more if the container is still there.
                    failure = awaitGone(sandboxId, container);
                    if (failure != null) {
                        failure = removeOnceMore(sandboxId, container);
                    }
                } else {
                    failure = failures.afterStart(sandboxId, "remove container " + container, e);
                }
            }
        }
        if (!mayHaveVolumes) {
            if (failure != null) {
                throw failure;
            }
            return;
        }
        try {
            for (InspectVolumeResponse v : volumesOf(sandboxId)) {
                try {
                    engine.requestUninterruptibly(c -> c.removeVolumeCmd(v.getName()).exec());
                } catch (NotFoundException gone) {
                    // Removed with its container meanwhile.
                } catch (RuntimeException e) {
                    failure = add(failure, failures.afterStart(sandboxId, "remove volume " + v.getName(), e));
                }
            }
        } catch (RuntimeException e) {
            failure = add(failure, failures.afterStart(sandboxId, "list the volumes labelled " + ResourceLabels.SANDBOX_ID + "=" + sandboxId, e));
        }
        if (failure != null) {
            throw failure;
        }
    }

    private List<InspectVolumeResponse> volumesOf(String sandboxId) {
        List<InspectVolumeResponse> v = engine.requestUninterruptibly(c -> c.listVolumesCmd()
                .withFilter("label", List.of(ResourceLabels.SANDBOX_ID + "=" + sandboxId)).exec().getVolumes());
        return v == null ? List.of() : v;
    }

    /**
     * Waits until the container is gone, at most {@link #GONE_WAIT}; the failure if it is still there. The engine is
     * asked to say when it has removed it ({@code wait?condition=removed}), which answers the moment it is done; an
     * engine that cannot say so is polled instead.
     */
    private RuntimeException removeOnceMore(String sandboxId, String container) {
        try {
            engine.requestUninterruptibly(c -> c.removeContainerCmd(container).withForce(true).withRemoveVolumes(true).exec());
            return null;
        } catch (RuntimeException e) {
            return EngineErrorClassifier.isGone(e) ? null : failures.afterStart(sandboxId, "remove container " + container, e);
        }
    }

    private RuntimeException awaitGone(String sandboxId, String container) {
        if (awaitRemoved(container)) {
            return null;
        }
        long deadline = System.nanoTime() + GONE_WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                engine.requestUninterruptibly(c -> c.inspectContainerCmd(container).exec());
            } catch (RuntimeException e) {
                return EngineErrorClassifier.isGone(e) ? null
                        : failures.afterStart(sandboxId, "inspect container " + container + " while the engine removes it", e);
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // kept for the caller; the removal is what matters here
                break;
            }
        }
        return new SandboxException("container " + container + " of sandbox " + sandboxId + " was still being removed by the engine after "
                + GONE_WAIT);
    }

    /**
     * True once the engine said the container is removed, or that it is gone already (a 404 here is success, not an
     * error: the stream's callback keeps it rather than logging it, as docker-java's own callbacks would at ERROR);
     * false when it could not say so in time.
     */
    boolean awaitRemoved(String container) {
        StreamCallback<WaitResponse> removed = new StreamCallback<>(status -> { });
        try {
            engine.streams().waitContainerCmd(container).withCondition(WaitContainerCondition.REMOVED).exec(removed);
            if (!removed.await(GONE_WAIT)) {
                return false;
            }
            Throwable error = removed.error();
            return error == null || error instanceof RuntimeException r && EngineErrorClassifier.isGone(r);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // kept for the caller; the poll below still runs
            return false;
        } catch (RuntimeException e) {
            return EngineErrorClassifier.isGone(e);
        } finally {
            removed.close();
        }
    }

    private static RuntimeException add(RuntimeException first, RuntimeException next) {
        if (first == null) {
            return next;
        }
        first.addSuppressed(next);
        return first;
    }
}
