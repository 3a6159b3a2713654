package dev.devs.sandbox.docker;

import dev.devs.sandbox.Sandbox;
import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxSpec;
import java.util.concurrent.CountDownLatch;

/**
 * The main class of a child JVM that owns paused sandboxes, for a test that kills it. Arguments: session id, runtime,
 * number of sandboxes. Starts them (each with a scratch volume), pauses every one, prints {@code HOLDING} and waits to
 * be killed. Never closes anything: its death is the point.
 */
public final class PausedOwnerChild {

    private PausedOwnerChild() {
    }

    public static void main(String[] args) throws Exception {
        String session = args[0];
        String runtime = args[1];
        int count = Integer.parseInt(args[2]);
        SandboxSpec spec = SandboxSpec.builder(DockerTestSupport.TINY_IMAGE).runtime(runtime)
                .command("sh", "-c", "while :; do :; done").scratchVolume("/scratch").build();
        SandboxProvider provider = SandboxProvider.builder(new DockerDriver()).sessionId(session).build();
        for (int i = 0; i < count; i++) {
            Sandbox sb = provider.start(spec);
            sb.pause();
            System.out.println("PAUSED " + sb.attributes().get("containerId"));
        }
        System.out.println("HOLDING " + ProcessHandle.current().pid());
        System.out.flush();
        new CountDownLatch(1).await();
    }
}
