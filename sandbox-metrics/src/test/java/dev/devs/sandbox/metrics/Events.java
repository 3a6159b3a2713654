package dev.devs.sandbox.metrics;

import dev.devs.sandbox.SandboxLifecycleEvent;
import dev.devs.sandbox.SandboxLifecycleEvent.Type;
import dev.devs.sandbox.SandboxStartException;
import dev.devs.sandbox.StartType;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/** Builds the reporter's input directly: lifecycle events as a provider would emit them. */
final class Events {
    static final Instant T0 = Instant.parse("2026-11-26T17:45:51.123Z");
    private static final AtomicLong ids = new AtomicLong();

    private Events() {
    }

    static String newId() {
        return String.format("sbx-%012x", ids.incrementAndGet());
    }

    static Duration ms(double millis) {
        return Duration.ofNanos(Math.round(millis * 1_000_000));
    }

    static SandboxLifecycleEvent starting(String driver) {
        return new SandboxLifecycleEvent.Starting(newId(), driver, T0);
    }

    static SandboxLifecycleEvent ready(String driver, StartType st, double millis) {
        return ready(driver, st, millis, Map.of());
    }

    static SandboxLifecycleEvent ready(String driver, StartType st, double millis, Map<String, String> attributes) {
        Map<String, Duration> phases = new LinkedHashMap<>();
        phases.put("create", ms(millis * 0.1));
        phases.put("start", ms(millis * 0.9));
        Instant readyAt = T0.plus(ms(millis));
        return new SandboxLifecycleEvent.Ready(newId(), driver, st, T0, readyAt, ms(millis), phases, attributes);
    }

    static SandboxLifecycleEvent failed(String driver, StartType st, String message) {
        String id = newId();
        return new SandboxLifecycleEvent.Failed(id, driver, Optional.ofNullable(st), T0, T0, ms(5), Map.of(), Map.of(),
                new SandboxStartException(id, message));
    }

    static SandboxLifecycleEvent stopped(String driver, Type type, double millis) {
        return stopped(driver, type, millis, Map.of());
    }

    static SandboxLifecycleEvent stopped(String driver, Type type, double millis, Map<String, String> attributes) {
        String id = newId();
        return switch (type) {
            case STOPPED -> new SandboxLifecycleEvent.Stopped(id, driver, StartType.WARM, T0.plusSeconds(5), T0,
                    T0.plusSeconds(1), ms(millis), Map.of("stop", ms(millis)), attributes);
            case KILLED -> new SandboxLifecycleEvent.Killed(id, driver, StartType.WARM, T0.plusSeconds(5), T0,
                    T0.plusSeconds(1), ms(millis), Map.of("stop", ms(millis)), attributes, Optional.empty());
            default -> throw new IllegalArgumentException("not a stop: " + type);
        };
    }
}
