package dev.devs.sandbox;

import java.util.LinkedHashMap;
import java.util.Map;

/** Phase durations of one stop, in the order first recorded. Thread-safe. */
final class PhaseTimes implements PhaseRecorder {
    final Map<String, Long> nanos = new LinkedHashMap<>();

    @Override
    public synchronized void recordPhase(String name, long n) {
        nanos.merge(name, n, Long::sum);
    }
}
