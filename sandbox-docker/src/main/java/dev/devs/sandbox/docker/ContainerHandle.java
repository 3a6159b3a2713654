package dev.devs.sandbox.docker;

import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.exception.NotModifiedException;
import dev.devs.sandbox.ExecResult;
import dev.devs.sandbox.PhaseRecorder;
import dev.devs.sandbox.SandboxDriver;
import dev.devs.sandbox.StopOutcome;
import java.time.Duration;
import java.util.List;

/** {@link DockerDriver}'s grip on one running container and the volumes created for it. */
@SuppressWarnings("try") // phase timers: try-with-resources whose variable is never read, by design
final class ContainerHandle implements SandboxDriver.Handle {

    /** 128 + SIGKILL: what the engine reports for a container it had to kill. */
    private static final long EXIT_KILLED = 137;

    private final DockerDriver driver;
    private final String sandboxId;
    private final String containerId;
    private final List<String> volumes;

    ContainerHandle(DockerDriver driver, String sandboxId, String containerId, List<String> volumes) {
        this.driver = driver;
        this.sandboxId = sandboxId;
        this.containerId = containerId;
        this.volumes = volumes;
    }

    @Override
    public ExecResult exec(List<String> command, Duration timeout) throws InterruptedException {
        return driver.exec(sandboxId, containerId, command, timeout);
    }

    /**
     * {@code docker stop -t <grace>}, then remove container and volumes. STOPPED when the process exited on
     * its own after SIGTERM; KILLED when the engine had to SIGKILL it (exit 137), the kernel OOM-killed it, or
     * it was no longer running when asked to stop.
     */
    @Override
    public StopOutcome stop(Duration gracePeriod, PhaseRecorder phases) {
        StopOutcome outcome = StopOutcome.KILLED;
        RuntimeException failure = null;
        try (var p = phases.phase("stop")) {
            outcome = stopContainer(gracePeriod);
        } catch (RuntimeException e) {
            failure = driver.translate(sandboxId, "stop container " + containerId, e);
        }
        try (var p = phases.phase("remove")) {
            driver.removeAll(sandboxId, containerId, volumes);
        } catch (RuntimeException e) {
            if (failure == null) {
                failure = e;
            } else {
                failure.addSuppressed(e);
            }
        }
        if (failure != null) {
            throw failure;
        }
        return outcome;
    }

    private StopOutcome stopContainer(Duration gracePeriod) {
        // The engine counts whole seconds; rounding up never kills earlier than asked.
        long seconds = (gracePeriod.toNanos() + 999_999_999L) / 1_000_000_000L;
        try {
            driver.stopClient(seconds).stopContainerCmd(containerId).withTimeout((int) Math.min(seconds, Integer.MAX_VALUE)).exec();
        } catch (NotModifiedException alreadyStopped) {
            return StopOutcome.KILLED; // it had died on its own before the stop
        } catch (NotFoundException gone) {
            return StopOutcome.KILLED; // removed behind our back: it certainly did not stop on request
        }
        InspectContainerResponse.ContainerState state = driver.client().inspectContainerCmd(containerId).exec().getState();
        boolean killed = Boolean.TRUE.equals(state.getOOMKilled())
                || (state.getExitCodeLong() != null && state.getExitCodeLong() == EXIT_KILLED);
        return killed ? StopOutcome.KILLED : StopOutcome.STOPPED;
    }

    /** One inspect; false when the container is gone, has exited, or the engine cannot be asked. */
    @Override
    public boolean isAlive() {
        try {
            InspectContainerResponse.ContainerState state = driver.client().inspectContainerCmd(containerId).exec().getState();
            return Boolean.TRUE.equals(state.getRunning());
        } catch (RuntimeException e) {
            return false;
        }
    }

    @Override
    public String toString() {
        return "ContainerHandle[" + sandboxId + ", " + DockerDriver.shortId(containerId) + "]";
    }
}
