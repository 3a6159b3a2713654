package dev.devs.sandbox;

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

    public synchronized void clear() {
        events.clear();
    }
}
