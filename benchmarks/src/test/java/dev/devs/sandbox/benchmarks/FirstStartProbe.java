package dev.devs.sandbox.benchmarks;

import dev.devs.sandbox.Sandbox;
import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.docker.DockerDriver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The child JVM of {@link FirstStartBenchmark}: a fresh JVM that starts its first sandbox (after
 * {@link SandboxProvider#warmUp} when asked), then {@code steady} more, and prints one line
 * {@code first-start-probe warmup_ms=.. first_ms=.. steady=..,..} for the parent to parse. Exits 0 when every
 * start succeeded and its provider closed; anything else is a failed sample.
 *
 * <p>Arguments: {@code warm|plain image steadyCount}; the session id comes from {@code DEVS_BENCHMARK_SESSION}
 * (set by the parent), so the parent's leak check covers what this JVM made.
 */
public final class FirstStartProbe {

    private FirstStartProbe() {
    }

    public static void main(String[] args) throws Exception {
        boolean warm = "warm".equals(args[0]);
        SandboxSpec spec = BenchmarkEnvironment.spec(args[1], Duration.ofSeconds(30));
        int steady = Integer.parseInt(args[2]);
        double warmUpMs = Double.NaN;
        List<Double> starts = new ArrayList<>();
        try (SandboxProvider provider = SandboxProvider.builder(new DockerDriver())
                .sessionId(BenchmarkEnvironment.SESSION).build()) {
            if (warm) {
                warmUpMs = provider.warmUp(spec).toNanos() / 1e6;
            }
            for (int i = 0; i <= steady; i++) {
                try (Sandbox sandbox = provider.start(spec)) {
                    starts.add(sandbox.provisioningDuration().toNanos() / 1e6);
                }
            }
        }
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT,
                "first-start-probe warmup_ms=%.3f first_ms=%.3f steady=", warmUpMs, starts.get(0)));
        for (int i = 1; i < starts.size(); i++) {
            line.append(i > 1 ? "," : "").append(String.format(Locale.ROOT, "%.3f", starts.get(i)));
        }
        System.out.println(line);
    }
}
