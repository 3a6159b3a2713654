package dev.devs.sandbox;

/**
 * Receives a provider's {@link SandboxLifecycleEvent}s.
 *
 * <p>Called synchronously on the thread that drives the lifecycle step (the caller of {@code start()},
 * {@code stop()} or {@code close()}, or the provider's async executor), in event order for a given
 * sandbox. Events of different sandboxes may arrive concurrently: implementations must be thread-safe.
 *
 * <p>Must be fast and must not block: the provisioning path is measured to the millisecond and every
 * listener runs inside it. Hand anything slow (I/O, network) to a thread of your own. A listener that
 * throws is logged and skipped; it never breaks the provider or the other listeners.
 */
@FunctionalInterface
public interface SandboxLifecycleListener {

    /** A listener that ignores every event. */
    SandboxLifecycleListener NONE = event -> { };

    /** Called once per event; see the class contract for threading. */
    void onEvent(SandboxLifecycleEvent event);
}
