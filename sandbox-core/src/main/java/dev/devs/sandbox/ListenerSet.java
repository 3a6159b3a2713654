package dev.devs.sandbox;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A provider's listeners. A step takes a {@link #snapshot()} when it begins, so that a listener added or removed
 * meanwhile sees all of that step or nothing; the snapshot delivers each event to every listener in order and
 * isolates them: one that throws is logged and skipped, never breaks the provider or the others.
 */
final class ListenerSet {
    private static final Logger log = LoggerFactory.getLogger(SandboxProvider.class);

    private final List<SandboxLifecycleListener> listeners = new CopyOnWriteArrayList<>();

    ListenerSet(List<SandboxLifecycleListener> initial) {
        listeners.addAll(initial);
    }

    /** Subscribes {@code listener}; closing the result unsubscribes it. */
    AutoCloseable add(SandboxLifecycleListener listener) {
        Objects.requireNonNull(listener, "listener");
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    /** The listeners now, as one listener that delivers to each of them in isolation. */
    SandboxLifecycleListener snapshot() {
        SandboxLifecycleListener[] fixed = listeners.toArray(SandboxLifecycleListener[]::new);
        return event -> {
            for (SandboxLifecycleListener listener : fixed) {
                try {
                    listener.onEvent(event);
                } catch (VirtualMachineError e) {
                    throw e;
                } catch (Throwable e) {
                    // Isolation is part of the contract: one broken listener (even one failing an assert) must not
                    // break provisioning or the other listeners.
                    log.warn("lifecycle listener {} threw on {}; ignored", listener, event.type(), e);
                }
            }
        };
    }
}
