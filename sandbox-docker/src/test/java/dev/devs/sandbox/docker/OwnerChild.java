package dev.devs.sandbox.docker;

import dev.devs.sandbox.SandboxPool;
import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxSpec;
import java.util.concurrent.CountDownLatch;

/**
 * The main class of a child JVM that owns sandboxes, for tests that kill it. Arguments: session id, number of
 * running sandboxes, number of idle pooled ones, number of starts kept in flight. Prints {@code HOLDING} once
 * the running and pooled ones exist, then keeps starting sandboxes (if asked) until it is killed. Never closes
 * anything: its death is the point.
 */
public final class OwnerChild {

    private OwnerChild() {
    }

    public static void main(String[] args) throws Exception {
        String session = args[0];
        int running = Integer.parseInt(args[1]);
        int pooled = Integer.parseInt(args[2]);
        int starting = Integer.parseInt(args[3]);
        SandboxSpec spec = SandboxSpec.builder(DockerTestSupport.TINY_IMAGE).command("sleep", "600").scratchVolume("/scratch").build();
        SandboxProvider provider = SandboxProvider.builder(new DockerDriver()).sessionId(session).build();
        for (int i = 0; i < running; i++) {
            provider.start(spec);
        }
        if (pooled > 0) {
            SandboxPool pool = SandboxPool.builder(provider, spec).minIdle(pooled).maxSize(pooled).build();
            while (pool.stats().idle() < pooled) {
                Thread.sleep(20);
            }
        }
        System.out.println("HOLDING " + ProcessHandle.current().pid());
        System.out.flush();
        for (int i = 0; i < starting; i++) {
            Thread t = new Thread(() -> {
                while (true) {
                    try {
                        provider.start(spec);
                    } catch (RuntimeException e) {
                        // keep starting
                    }
                }
            });
            t.setDaemon(true);
            t.start();
        }
        new CountDownLatch(1).await();
    }
}
