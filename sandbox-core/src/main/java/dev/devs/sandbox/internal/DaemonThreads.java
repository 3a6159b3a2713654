package dev.devs.sandbox.internal;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one factory for the threads the library owns. They are daemon threads (a library must never keep a
 * host application's JVM alive) named {@code <prefix>-<n>}, so that a thread dump says whose they are.
 */
public final class DaemonThreads implements ThreadFactory {
    private final String prefix;
    private final AtomicInteger count = new AtomicInteger();

    private DaemonThreads(String prefix) {
        this.prefix = prefix;
    }

    /** A factory whose threads are named {@code prefix-1}, {@code prefix-2}, ... */
    public static DaemonThreads named(String prefix) {
        return new DaemonThreads(prefix);
    }

    @Override
    public Thread newThread(Runnable task) {
        Thread t = new Thread(task, prefix + "-" + count.incrementAndGet());
        t.setDaemon(true);
        return t;
    }
}
