package dev.devs.sandbox.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalDouble;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Scale;
import net.jqwik.api.constraints.Size;

class PercentilesTest {

    /** The brute-force oracle: sort a copy, take the nearest rank computed in integer arithmetic. */
    static OptionalDouble oracle(List<Double> values, int p) {
        if (values.isEmpty()) {
            return OptionalDouble.empty();
        }
        List<Double> copy = new ArrayList<>(values);
        copy.sort(null);
        int n = copy.size();
        int rank = Math.max(1, (p * n + 99) / 100); // ceil(p * n / 100) without floating point
        return OptionalDouble.of(copy.get(rank - 1));
    }

    @Property
    void unsortedSamplesMatchTheOracle(@ForAll @Size(max = 250) List<@DoubleRange(min = 0, max = 600_000) Double> samples,
                                       @ForAll @IntRange(min = 1, max = 100) int p) {
        assertThat(Percentiles.of(samples, p)).isEqualTo(oracle(samples, p));
        double[] array = samples.stream().mapToDouble(Double::doubleValue).toArray();
        double[] before = array.clone();
        assertThat(Percentiles.of(array, p)).isEqualTo(oracle(samples, p));
        assertThat(array).as("input left unsorted").containsExactly(before);
    }

    @Property
    void aPercentileIsAlwaysOneOfTheSamples(@ForAll @Size(min = 1, max = 250) List<@IntRange(max = 1000) Integer> samples,
                                            @ForAll @DoubleRange(min = 0.001, max = 100) @Scale(3) double p) {
        double v = Percentiles.of(samples, p).orElseThrow();
        assertThat(samples).contains((int) v);
    }

    @Example
    void nearestRankOnOneToOneHundred() {
        double[] values = new double[100];
        Arrays.setAll(values, i -> i + 1);
        assertThat(Percentiles.of(values, 50)).hasValue(50);
        assertThat(Percentiles.of(values, 95)).hasValue(95);
        assertThat(Percentiles.of(values, 99)).hasValue(99);
        assertThat(Percentiles.of(values, 100)).hasValue(100);
        assertThat(Percentiles.of(values, 0.5)).hasValue(1);
    }

    @Example
    void smallWindowsTakeTheTopValueForHighPercentiles() {
        assertThat(Percentiles.of(new double[] {7}, 50)).hasValue(7);
        assertThat(Percentiles.of(new double[] {3, 1}, 50)).hasValue(1);
        assertThat(Percentiles.of(new double[] {3, 1}, 95)).hasValue(3);
        assertThat(Percentiles.of(new double[] {10, 20, 30, 40, 50}, 95)).hasValue(50);
        assertThat(Percentiles.of(new double[] {10, 20, 30, 40, 50}, 50)).hasValue(30);
    }

    @Example
    void fractionalPercentilesAreNotRoundedUpByRepresentationError() {
        double[] values = new double[1000];
        Arrays.setAll(values, i -> i + 1);
        assertThat(Percentiles.rank(1000, 99.9)).isEqualTo(999);
        assertThat(Percentiles.of(values, 99.9)).hasValue(999);
    }

    @Example
    void emptyInputHasNoPercentile() {
        assertThat(Percentiles.of(new double[0], 95)).isEmpty();
        assertThat(Percentiles.of(List.<Double>of(), 50)).isEmpty();
        assertThat(Percentiles.orNaN(OptionalDouble.empty())).isNaN();
        assertThat(Percentiles.rank(0, 99)).isZero();
    }

    @Example
    void outOfRangePercentileIsRejectedNamingTheValue() {
        assertThatThrownBy(() -> Percentiles.of(new double[] {1}, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("percentile 0.0").hasMessageContaining("0 < p <= 100");
        assertThatThrownBy(() -> Percentiles.of(new double[] {1}, 100.5))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("100.5");
        assertThatThrownBy(() -> Percentiles.of(new double[] {1}, Double.NaN))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NaN");
        assertThatThrownBy(() -> Percentiles.of(new double[] {1, Double.NaN}, 50))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sample 1 is NaN");
    }
}
