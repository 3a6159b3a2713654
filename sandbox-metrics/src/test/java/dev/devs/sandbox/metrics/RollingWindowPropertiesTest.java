package dev.devs.sandbox.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.devs.sandbox.StartType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** The rolling window and the reporter against a brute-force oracle: keep everything, sort a copy of the tail. */
class RollingWindowPropertiesTest {

    private static final int[] PS = {50, 95, 99};

    @Property(tries = 300)
    void windowPercentilesMatchTheOracleOverTheLastValues(
            @ForAll @IntRange(min = 1, max = 250) int capacity,
            @ForAll @Size(max = 600) List<@IntRange(min = 0, max = 5_000) Integer> values) {
        RollingWindow<Integer> window = new RollingWindow<>(capacity);
        List<Double> all = new ArrayList<>();
        for (int i = 0; i < values.size(); i++) {
            // Many duplicates (range 0..5000) exercise eviction of a value that occurs more than once.
            double v = values.get(i) / 10.0;
            window.add(v, i);
            all.add(v);
        }
        List<Double> tail = all.subList(Math.max(0, all.size() - capacity), all.size());
        assertThat(window.size()).isEqualTo(tail.size());
        for (int p : PS) {
            assertThat(window.percentile(p)).as("P%d", p).isEqualTo(PercentilesTest.oracle(tail, p));
        }
        RollingWindow.Contents<Integer> contents = window.contents();
        assertThat(contents.values()).containsExactly(tail.stream().mapToDouble(Double::doubleValue).toArray());
        List<Double> sortedTail = new ArrayList<>(tail);
        sortedTail.sort(null);
        assertThat(contents.sorted()).containsExactly(sortedTail.stream().mapToDouble(Double::doubleValue).toArray());
        assertThat(contents.itemList()).containsExactlyElementsOf(
                java.util.stream.IntStream.range(Math.max(0, values.size() - capacity), values.size()).boxed().toList());
    }

    record Ev(String driver, StartType startType, int micros) {
    }

    @Provide
    Arbitrary<List<Ev>> manySeries() {
        Arbitrary<String> drivers = Arbitraries.of("docker", "webcontainer", "firecracker", "d4", "d5");
        Arbitrary<StartType> types = Arbitraries.of(StartType.class);
        Arbitrary<Integer> micros = Arbitraries.integers().between(1, 40_000_000);
        return Combinators.combine(drivers, types, micros).as(Ev::new).list().ofMaxSize(800);
    }

    @Property(tries = 60)
    void reporterKeepsEverySeriesLikeTheOracle(@ForAll("manySeries") List<Ev> events,
                                               @ForAll @IntRange(min = 1, max = 250) int windowSize) {
        Map<String, List<Double>> oracle = new HashMap<>();
        try (SandboxLatencyReporter reporter = SandboxLatencyReporter.builder().windowSize(windowSize)
                .fileWriter((path, bytes) -> { }).build()) {
            for (Ev e : events) {
                double ms = e.micros() / 1000.0;
                reporter.onEvent(Events.ready(e.driver(), e.startType(), ms));
                oracle.computeIfAbsent(e.driver() + "/" + e.startType(), k -> new ArrayList<>()).add(ms);
            }
            LatencyStats stats = reporter.stats();
            assertThat(stats.series()).hasSize(oracle.size());
            for (LatencyStats.Series s : stats.series()) {
                List<Double> all = oracle.get(s.driver() + "/" + s.startType());
                List<Double> tail = all.subList(Math.max(0, all.size() - windowSize), all.size());
                assertThat(s.count()).isEqualTo(all.size());
                assertThat(s.samples()).extracting(LatencyStats.Sample::durationMs).containsExactlyElementsOf(tail);
                assertThat(s.p50Ms()).isEqualTo(PercentilesTest.oracle(tail, 50));
                assertThat(s.p95Ms()).isEqualTo(PercentilesTest.oracle(tail, 95));
                assertThat(s.p99Ms()).isEqualTo(PercentilesTest.oracle(tail, 99));
                for (int p : PS) {
                    assertThat(reporter.percentileMs(s.driver(), s.startType(), s.runtime(), p)).isEqualTo(PercentilesTest.oracle(tail, p));
                }
            }
            OptionalDouble worst = stats.series().stream().mapToDouble(s -> s.p95Ms().getAsDouble()).max();
            if (worst.isPresent()) {
                assertThat(stats.headline().orElseThrow().p95Ms()).isEqualTo(worst);
            } else {
                assertThat(stats.headline()).isEmpty();
            }
        }
    }
}
