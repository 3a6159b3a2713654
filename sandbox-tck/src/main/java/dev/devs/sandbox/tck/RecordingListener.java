package dev.devs.sandbox.tck;

import dev.devs.sandbox.SandboxLifecycleEvent;
import dev.devs.sandbox.SandboxLifecycleListener;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Test listener that keeps every event, for asserting exact sequences the way OkHttp's
 * {@code RecordingEventListener} does. Shared with the driver modules through the core test-jar.
 */
public final class RecordingListener implements SandboxLifecycleListener {
    private final List<SandboxLifecycleEvent> events = new ArrayList<>();

    @Override
    public synchronized void onEvent(SandboxLifecycleEvent event) {
        events.add(event);
    }

    /** A copy of every event so far, in arrival order. */
    public synchronized List<SandboxLifecycleEvent> events() {
        return List.copyOf(events);
    }

    /** The events of one sandbox, in arrival order. */
    public synchronized List<SandboxLifecycleEvent> eventsOf(String sandboxId) {
        return events.stream().filter(e -> e.sandboxId().equals(sandboxId)).collect(Collectors.toList());
    }

    /** The types of every event so far, in arrival order. */
    public synchronized List<SandboxLifecycleEvent.Type> types() {
        return events.stream().map(SandboxLifecycleEvent::type).collect(Collectors.toList());
    }

    /** The types of one sandbox's events, in arrival order. */
    public synchronized List<SandboxLifecycleEvent.Type> typesOf(String sandboxId) {
        return eventsOf(sandboxId).stream().map(SandboxLifecycleEvent::type).collect(Collectors.toList());
    }

    /** The last event, or throws if there is none. */
    public synchronized SandboxLifecycleEvent last() {
        if (events.isEmpty()) {
            throw new AssertionError("no event was recorded");
        }
        return events.get(events.size() - 1);
    }

    /** The last event, which must be of {@code type}; an {@link AssertionError} names what it was otherwise. */
    public synchronized <T extends SandboxLifecycleEvent> T last(Class<T> type) {
        return as(type, last());
    }

    /** The {@code index}-th event, which must be of {@code type}. */
    public synchronized <T extends SandboxLifecycleEvent> T get(int index, Class<T> type) {
        return as(type, events.get(index));
    }

    private static <T extends SandboxLifecycleEvent> T as(Class<T> type, SandboxLifecycleEvent event) {
        if (!type.isInstance(event)) {
            throw new AssertionError("expected a " + type.getSimpleName() + " event but got " + event);
        }
        return type.cast(event);
    }

    public synchronized void clear() {
        events.clear();
    }
}
