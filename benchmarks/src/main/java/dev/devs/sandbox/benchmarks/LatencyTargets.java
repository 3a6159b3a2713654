package dev.devs.sandbox.benchmarks;

import dev.devs.sandbox.StartType;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The benchmark's latency targets, in one place: the P95 bounds that decide a benchmark's verdict, the
 * analyzer's exit code and the extra histogram buckets a benchmark run gives {@code SandboxMetrics}
 * (docs/design.md "Commands"). The library itself knows no target.
 *
 * <table>
 *   <caption>Targets (a P95 bound per series)</caption>
 *   <tr><th>series</th><th>target</th></tr>
 *   <tr><td>Docker cold start</td><td>{@link #DOCKER_COLD} 30 s</td></tr>
 *   <tr><td>Docker warm start</td><td>{@link #DOCKER_WARM} 10 s</td></tr>
 *   <tr><td>WebContainer start, cold or warm</td><td>{@link #WEBCONTAINER} 10 s</td></tr>
 *   <tr><td>pooled hand-out from a pool that is not drained, any driver</td><td>{@link #POOLED} 5 ms</td></tr>
 *   <tr><td>pooled hand-out customised with env and one small file</td><td>{@link #POOLED_CUSTOMISED} 25 ms</td></tr>
 *   <tr><td>stop of a sandbox, any driver</td><td>{@link #STOP} 5 s</td></tr>
 * </table>
 *
 * <p>The Docker driver on Podman, named {@value #PODMAN} ({@code DockerDriver.builder().name("podman")}), is held to
 * the Docker targets: the same work on another engine.
 *
 * <p>A driver the table does not name has no provisioning target: its series are measured and reported,
 * never judged. README states the same numbers for users; a test in the benchmarks module keeps the two equal.
 */
public final class LatencyTargets {

    /** The driver name of the Docker driver on Podman's Docker-compatible API; its series have the Docker targets. */
    public static final String PODMAN = "podman";
    /** Docker cold start (the image had to be pulled): P95 within 30 s. */
    public static final Duration DOCKER_COLD = Duration.ofSeconds(30);
    /** Docker warm start (image present): P95 within 10 s. */
    public static final Duration DOCKER_WARM = Duration.ofSeconds(10);
    /** WebContainer start, cold or warm: P95 within 10 s. */
    public static final Duration WEBCONTAINER = Duration.ofSeconds(10);
    /**
     * Pooled hand-out of a ready sandbox, any driver, while the pool is not drained: P95 within 5 ms (a warm Docker
     * start is about 200 ms here: at least 30 times slower).
     */
    public static final Duration POOLED = Duration.ofMillis(5);
    /** Pooled hand-out customised with env and one small file: P95 within 25 ms. */
    public static final Duration POOLED_CUSTOMISED = Duration.ofMillis(25);
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
        String name = driver.toLowerCase(Locale.ROOT);
        if (startType == StartType.POOLED && (name.equals("docker") || name.equals(PODMAN) || name.equals("webcontainer"))) {
            return Optional.of(POOLED);
        }
        switch (name) {
            case "docker":
            case PODMAN:
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

    /** Every distinct provisioning target, ascending: the bucket bounds a benchmark run's provisioning histogram adds. */
    public static List<Duration> provisioningTargets() {
        return List.copyOf(new TreeSet<>(List.of(POOLED, POOLED_CUSTOMISED, DOCKER_COLD, DOCKER_WARM, WEBCONTAINER)));
    }
}
