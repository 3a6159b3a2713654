package dev.devs.sandbox.metrics;

import dev.devs.sandbox.StartType;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The project's latency targets, in one place: the P95 bounds that decide a benchmark's verdict, the
 * analyzer's exit code and the {@link SandboxMetrics} histogram boundaries (docs/design.md "Commands").
 *
 * <table>
 *   <caption>Targets (a P95 bound per series)</caption>
 *   <tr><th>series</th><th>target</th></tr>
 *   <tr><td>Docker cold start</td><td>{@link #DOCKER_COLD} 30 s</td></tr>
 *   <tr><td>Docker warm (and pooled) start</td><td>{@link #DOCKER_WARM} 10 s</td></tr>
 *   <tr><td>WebContainer start, any start type</td><td>{@link #WEBCONTAINER} 10 s</td></tr>
 *   <tr><td>stop of a sandbox, any driver</td><td>{@link #STOP} 5 s</td></tr>
 * </table>
 *
 * <p>A driver the table does not name has no provisioning target: its series are measured and reported,
 * never judged. README states the same numbers for users; a test in the benchmarks module keeps the two equal.
 */
public final class LatencyTargets {

    /** Docker cold start (the image had to be pulled): P95 within 30 s. */
    public static final Duration DOCKER_COLD = Duration.ofSeconds(30);
    /** Docker warm start (image present), and pooled starts, which are at least as prepared: P95 within 10 s. */
    public static final Duration DOCKER_WARM = Duration.ofSeconds(10);
    /** WebContainer start of any type: P95 within 10 s. */
    public static final Duration WEBCONTAINER = Duration.ofSeconds(10);
    /** Stop of a sandbox of any driver: P95 of the stop series within 5 s. */
    public static final Duration STOP = Duration.ofSeconds(5);

    private LatencyTargets() {
    }

    /**
     * The P95 target of the provisioning series of {@code driver} (case-insensitive) and {@code startType};
     * empty when none is set for that driver.
     */
    public static Optional<Duration> provisioning(String driver, StartType startType) {
        Objects.requireNonNull(driver, "driver");
        Objects.requireNonNull(startType, "startType");
        switch (driver.toLowerCase(Locale.ROOT)) {
            case "docker":
                return Optional.of(startType == StartType.COLD ? DOCKER_COLD : DOCKER_WARM);
            case "webcontainer":
                return Optional.of(WEBCONTAINER);
            default:
                return Optional.empty();
        }
    }

    /** The P95 target of the stop series of any driver: {@link #STOP}. */
    public static Duration stop() {
        return STOP;
    }

    /** Every distinct provisioning target, ascending: the boundaries a provisioning histogram needs. */
    public static List<Duration> provisioningTargets() {
        return List.copyOf(new TreeSet<>(List.of(DOCKER_COLD, DOCKER_WARM, WEBCONTAINER)));
    }
}
