package dev.devs.sandbox.docker;

import dev.devs.sandbox.ExecResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kills a timed-out exec with all its children. The engine's API cannot kill an exec, so its process tree
 * is found from this host ({@link ContainerProcesses}) and signalled from inside the container, as the same
 * user. Never throws: an exec that cannot be killed from here runs until its sandbox stops.
 */
final class ExecKiller {

    private static final Logger log = LoggerFactory.getLogger(ExecKiller.class);
    private static final int FREEZE_ROUNDS = 10;
    private static final Duration SIGNAL_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration KILL_CONFIRM_TIMEOUT = Duration.ofSeconds(2);

    private final ExecRunner execs;

    ExecKiller(ExecRunner execs) {
        this.execs = execs;
    }

    /**
     * Kills exec {@code execId} of {@code containerId} and its descendants.
     *
     * @return whether it is known to have ended; false also when the caller was interrupted (whose
     *         interrupt status is then set)
     */
    boolean kill(String containerId, String execId) {
        try {
            long hostPid = execs.runningPid(execId);
            if (hostPid == 0) {
                return true; // it ended between the timeout and now
            }
            // Freeze the tree before killing it: a child forked between listing the tree and killing it
            // would be re-parented to the container's init and live on. Stopped processes cannot fork, so
            // listing again until nothing new appears gives the whole tree.
            Set<Long> frozen = new LinkedHashSet<>();
            for (int round = 0; round < FREEZE_ROUNDS; round++) {
                List<Long> fresh = new ArrayList<>(ContainerProcesses.namespacePidsOfTree(hostPid, containerId));
                fresh.removeAll(frozen);
                if (fresh.isEmpty()) {
                    break;
                }
                signal(containerId, execId, "STOP", fresh);
                frozen.addAll(fresh);
            }
            if (frozen.isEmpty()) {
                log.debug("exec {} (host pid {}) of container {} is not visible from this host; it runs until the sandbox stops",
                        execId, hostPid, containerId);
                return false;
            }
            signal(containerId, execId, "KILL", frozen);
            return awaitEnd(execId);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (RuntimeException e) {
            log.debug("could not kill timed-out exec {} in container {}", execId, containerId, e);
            return false;
        }
    }

    private void signal(String containerId, String execId, String signal, Collection<Long> pids) throws InterruptedException {
        List<String> kill = new ArrayList<>(List.of("sh", "-c", "kill -" + signal + " \"$@\"", "kill"));
        pids.forEach(p -> kill.add(Long.toString(p)));
        ExecResult r = execs.run(containerId, kill, SIGNAL_TIMEOUT);
        if (r.exitCode() != 0) {
            log.debug("kill -{} for exec {} in container {} exited {}: {}", signal, execId, containerId, r.exitCode(), r.stderr());
        }
    }

    /** The engine records a killed exec's end a moment after the kill: look again briefly before saying it lives. */
    private boolean awaitEnd(String execId) throws InterruptedException {
        Backoff backoff = new Backoff(200_000, 20_000_000, System.nanoTime() + KILL_CONFIRM_TIMEOUT.toNanos());
        while (execs.runningPid(execId) != 0) {
            if (!backoff.pause()) {
                return false;
            }
        }
        return true;
    }
}
