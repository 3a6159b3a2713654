package dev.devs.sandbox.docker;

import dev.devs.sandbox.SandboxLifecycleEvent;
import dev.devs.sandbox.SandboxPool;
import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxSpec;
import java.util.concurrent.CountDownLatch;

/**
 * The main class of a child JVM that owns sandboxes, for tests that kill it. Arguments: session id, number of
 * running sandboxes, number of idle pooled ones, number of starts kept in flight. Prints {@code HOLDING} once
 * the running and pooled ones exist, then begins the starts to keep in flight: each runs {@code sleep 601} (so a
 * test can tell their containers apart) behind a readiness probe that never passes, so these starts are still
 * under way whenever the test looks, until it kills this JVM. Never closes anything: its death is the point.
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
        CountDownLatch ready = new CountDownLatch(running + pooled);
        SandboxProvider provider = SandboxProvider.builder(new DockerDriver()).sessionId(session).listener(e -> {
            if (e.type() == SandboxLifecycleEvent.Type.READY) {
                ready.countDown();
            }
        }).build();
        for (int i = 0; i < running; i++) {
            provider.start(spec);
        }
        if (pooled > 0) {
            SandboxPool.builder(provider, spec).minIdle(pooled).maxSize(pooled).build();
        }
        ready.await(); // the running ones and the pool's refills are READY
        System.out.println("HOLDING " + ProcessHandle.current().pid());
        System.out.flush();
        SandboxSpec neverReady = SandboxSpec.builder(DockerTestSupport.TINY_IMAGE).command("sleep", "601").scratchVolume("/scratch")
                .readinessProbe("test", "-f", "/never").startupTimeout(java.time.Duration.ofMinutes(10)).build();
        for (int i = 0; i < starting; i++) {
            Thread t = new Thread(() -> provider.start(neverReady));
            t.setDaemon(true);
            t.start();
        }
        new CountDownLatch(1).await();
    }
}
