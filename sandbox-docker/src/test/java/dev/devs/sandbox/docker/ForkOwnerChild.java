package dev.devs.sandbox.docker;

import dev.devs.sandbox.Sandbox;
import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxSnapshot;
import dev.devs.sandbox.SandboxSpec;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * The main class of a child JVM that owns two forks of a snapshot, and a second snapshot it keeps, for a test that
 * kills it. Arguments: session id, engine address (an engine that can checkpoint), snapshot directory. Prints
 * {@code HOLDING <pid> <snapshot location> <kept snapshot location>} once both forks are ready, then waits to be
 * killed. Never closes anything: its death is the point.
 */
public final class ForkOwnerChild {

    private ForkOwnerChild() {
    }

    public static void main(String[] args) throws Exception {
        SandboxProvider provider = SandboxProvider.builder(DockerDriver.builder().dockerHost(args[1])
                .snapshotDirectory(Path.of(args[2])).build()).sessionId(args[0]).build();
        SandboxSpec spec = SandboxSpec.builder(DockerTestSupport.TINY_IMAGE).runtime("runsc")
                .command("sh", "-c", "i=0; while :; do i=$((i+1)); sleep 0.05; done").build();
        SandboxSnapshot snapshot = provider.start(spec).checkpoint();
        SandboxSnapshot kept = provider.start(spec).checkpoint().keep();
        provider.fork(snapshot);
        provider.fork(snapshot);
        System.out.println("HOLDING " + ProcessHandle.current().pid() + " " + snapshot.location() + " " + kept.location());
        System.out.flush();
        new CountDownLatch(1).await();
    }
}
