package dev.devs.sandbox.docker;

import static org.assertj.core.api.Assumptions.assumeThat;

import dev.devs.sandbox.Sandbox;
import dev.devs.sandbox.SandboxSnapshot;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.StartType;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;

/**
 * The isolation suite, unchanged, on sandboxes forked from a snapshot on {@code runsc}: every sandbox a check uses is a
 * fork of a template of the check's own spec, checkpointed as soon as it is ready. A check's program would run in the
 * template before the checkpoint, and a restored process keeps its timers (a {@code sleep 1} may be over by the fork):
 * so the template holds the program back until the fork releases it, by a file in the sandbox's own {@code /tmp}, which
 * only the fork's restored memory has. Skipped, saying why, where the engine cannot checkpoint.
 */
@Timeout(300) // a check's sandbox is three engine operations here, a check with two sandboxes six
class RunscForkIsolationTest extends IsolationSuite {

    private static final String GO = "/tmp/.devs-fork-go";
    private static final String HOLD = "/tmp/.devs-fork-hold";

    @Override
    String runtime() {
        return "runsc";
    }

    /** Three engine operations (start, checkpoint, restore) where the other suites have one. */
    @Override
    @BeforeAll
    @Timeout(180)
    void startSandbox() {
        super.startSandbox();
    }

    @Override
    String tableName() {
        return "runsc-fork";
    }

    @Override
    Sandbox start(SandboxSpec spec) {
        assumeThat(DockerTestSupport.api().infoCmd().exec().getExperimentalBuild())
                .as("the engine has experimental features off, so it cannot checkpoint and this suite is skipped").isTrue();
        // Waits with shell built-ins on a FIFO of its own, not a loop of sleep processes: under gVisor a loop forking
        // many times a second made a sandbox with a pids limit of 128 end before its checkpoint.
        List<String> held = new ArrayList<>(List.of("sh", "-c", "mkfifo " + HOLD + "; while [ ! -e " + GO + " ]; do read -t 1 x <> "
                + HOLD + "; done; exec \"$@\"", "sh"));
        held.addAll(spec.command());
        Sandbox template = provider().start(spec.toBuilder().command(held).build());
        Sandbox fork;
        try (SandboxSnapshot snapshot = template.checkpoint()) {
            fork = provider().fork(snapshot);
        }
        if (fork.startType() != StartType.FORKED) {
            throw new AssertionError("expected a fork, got a " + fork.startType() + " start: " + fork.id());
        }
        // Opened read-write, so that the write never waits for a reader (the program may be running already).
        if (fork.exec("sh", "-c", "touch " + GO + "; echo 1<> " + HOLD).exitCode() != 0) {
            throw new AssertionError("could not release the program of fork " + fork.id());
        }
        return fork;
    }
}
