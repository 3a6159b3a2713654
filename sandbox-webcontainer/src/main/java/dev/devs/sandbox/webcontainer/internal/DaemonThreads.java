package dev.devs.sandbox.webcontainer.internal;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The module's one way to make the threads it owns: daemon threads (a forgotten driver must not keep a JVM alive)
 * with a name that says whose they are, so a thread dump reads. Internal: not part of the driver's API.
 */
public final class DaemonThreads {

    private DaemonThreads() {
    }

    /** A factory naming its threads {@code name} (one thread) or {@code name-1}, {@code name-2}... (a pool). */
    public static ThreadFactory factory(String name) {
        AtomicInteger count = new AtomicInteger();
        return r -> {
            int n = count.incrementAndGet();
            return daemon(n == 1 ? name : name + "-" + n, r);
        };
    }

    /** Starts {@code task} on a new daemon thread called {@code name}. */
    public static Thread start(String name, Runnable task) {
        Thread t = daemon(name, task);
        t.start();
        return t;
    }

    private static Thread daemon(String name, Runnable task) {
        Thread t = new Thread(task, name);
        t.setDaemon(true);
        return t;
    }
}
