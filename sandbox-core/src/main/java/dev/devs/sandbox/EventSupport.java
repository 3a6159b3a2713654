package dev.devs.sandbox;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/** Checks and formatting shared by the {@link SandboxLifecycleEvent} records. */
final class EventSupport {
    private EventSupport() {
    }

    /**
     * {@link Objects#requireNonNull(Object, String)} for each (name, value) pair, in order: an event's missing field
     * is named in the exception.
     */
    static void requireNonNull(Object... namesAndValues) {
        for (int i = 0; i < namesAndValues.length; i += 2) {
            Objects.requireNonNull(namesAndValues[i + 1], (String) namesAndValues[i]);
        }
    }

    static Duration nonNegative(Duration d) {
        Objects.requireNonNull(d, "duration");
        if (d.isNegative()) {
            throw new IllegalArgumentException("duration " + d + " is negative: durations come from System.nanoTime() differences");
        }
        return d;
    }

    static <V> Map<String, V> copy(Map<String, V> map) {
        return map == null || map.isEmpty() ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(map));
    }

    static String describe(SandboxLifecycleEvent e, StartType startType, Duration duration,
                           Map<String, Duration> phases, Throwable error) {
        StringBuilder sb = new StringBuilder(e.type().name()).append(' ').append(e.driver()).append('/').append(e.sandboxId());
        if (startType != null) {
            sb.append(" (").append(startType.wireName()).append(')');
        }
        if (duration != null) {
            sb.append(" in ").append(String.format(Locale.ROOT, "%.1f ms", duration.toNanos() / 1_000_000.0));
        }
        if (!phases.isEmpty()) {
            sb.append(" phases=").append(phases);
        }
        if (error != null) {
            sb.append(" error=").append(error);
        }
        return sb.toString();
    }
}
