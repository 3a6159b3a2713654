package dev.devs.sandbox;

import dev.devs.sandbox.internal.DaemonThreads;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One JVM shutdown hook for every provider: on {@code System.exit} or SIGTERM it closes, in parallel, the
 * providers that were not closed, which stops their sandboxes, and gives up after {@link #BOUND} so that a
 * hung engine cannot hold the JVM's exit. Providers are weakly referenced: registering one keeps nothing alive.
 * (SIGKILL runs no hook; the drivers' own owner-death mechanisms cover that.)
 */
final class ShutdownHook {

    /** The longest the hook waits for the providers' sandboxes to stop. */
    static final Duration BOUND = Duration.ofSeconds(10);

    private static final Logger log = LoggerFactory.getLogger(ShutdownHook.class);
    private static final List<WeakReference<SandboxProvider>> providers = new ArrayList<>();
    private static boolean hooked;

    private ShutdownHook() {
    }

    static synchronized void register(SandboxProvider provider) {
        providers.removeIf(r -> r.get() == null);
        providers.add(new WeakReference<>(provider));
        if (!hooked) {
            try {
                Runtime.getRuntime().addShutdownHook(new Thread(ShutdownHook::run, "sandbox-shutdown-stops"));
                hooked = true;
            } catch (IllegalStateException shuttingDown) {
                // A provider made while the JVM is already exiting: whoever made it closes it; no hook can be added now.
            }
        }
    }

    static synchronized void unregister(SandboxProvider provider) {
        providers.removeIf(r -> r.get() == null || r.get() == provider);
    }

    private static void run() {
        List<SandboxProvider> open = new ArrayList<>();
        synchronized (ShutdownHook.class) {
            for (WeakReference<SandboxProvider> r : providers) {
                SandboxProvider p = r.get();
                if (p != null && !p.isClosed()) {
                    open.add(p);
                }
            }
        }
        if (open.isEmpty()) {
            return;
        }
        ExecutorService closers = Executors.newCachedThreadPool(DaemonThreads.named("sandbox-shutdown-close"));
        try {
            List<CompletableFuture<Void>> closes = new ArrayList<>();
            for (SandboxProvider p : open) {
                closes.add(CompletableFuture.runAsync(p::close, closers));
            }
            CompletableFuture.allOf(closes.toArray(CompletableFuture[]::new)).get(BOUND.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            log.warn("closing {} open sandbox provider(s) at JVM exit did not finish within {}", open.size(), BOUND, e);
        } finally {
            closers.shutdownNow();
        }
    }
}
