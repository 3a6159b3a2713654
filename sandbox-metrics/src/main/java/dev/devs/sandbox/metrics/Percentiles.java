package dev.devs.sandbox.metrics;

import java.util.Arrays;
import java.util.Collection;
import java.util.Objects;
import java.util.OptionalDouble;

/**
 * The project's one percentile definition, used by {@link SandboxLatencyReporter}, the
 * {@link SandboxMetrics} gauges and the report analyzer, so that the numbers they show can never disagree.
 *
 * <p><b>Nearest rank:</b> for sorted values {@code x[0..n-1]}, {@code P(p) = x[ceil(p/100 · n) − 1]}. Every
 * result is one of the samples (no interpolation), so a percentile in a report can be found in its sample
 * list. An empty input has no percentile: {@link OptionalDouble#empty()} here, absent in JSON, NaN on a gauge
 * — never 0.
 *
 * <p>Valid {@code p} is {@code 0 < p <= 100}; anything else is an {@link IllegalArgumentException} naming it.
 */
public final class Percentiles {

    private Percentiles() {
    }

    /**
     * The 1-based nearest rank of percentile {@code p} among {@code n} sorted values: {@code ceil(p/100 · n)},
     * at least 1. For {@code n == 0} the result is 0 (there is no rank).
     *
     * @throws IllegalArgumentException if {@code p} is not in (0, 100] or {@code n} is negative
     */
    public static int rank(int n, double p) {
        checkP(p);
        if (n < 0) {
            throw new IllegalArgumentException("n " + n + " is negative; the number of samples must be >= 0");
        }
        if (n == 0) {
            return 0;
        }
        // p * n first, then / 100: for integral p (50, 95, 99) p * n is exact and a multiple of 100 stays
        // exact after the division. The small epsilon keeps a fractional p (99.9 * 1000 / 100 =
        // 999.0000000000001) from being rounded up one rank by representation error.
        double exact = p * n / 100.0;
        long r = (long) Math.ceil(exact - 1e-9);
        return (int) Math.max(1, Math.min(n, r));
    }

    /**
     * Percentile {@code p} of the first {@code n} values of {@code sortedAscending}, which the caller keeps
     * sorted (this is what the reporter's rolling window calls; no copy, no sort).
     *
     * @throws IllegalArgumentException if {@code p} is out of range or {@code n} exceeds the array
     */
    public static OptionalDouble ofSorted(double[] sortedAscending, int n, double p) {
        Objects.requireNonNull(sortedAscending, "sortedAscending");
        if (n > sortedAscending.length) {
            throw new IllegalArgumentException("n " + n + " exceeds the array length " + sortedAscending.length);
        }
        int r = rank(n, p);
        return r == 0 ? OptionalDouble.empty() : OptionalDouble.of(sortedAscending[r - 1]);
    }

    /**
     * Percentile {@code p} of unsorted samples (sorts a copy; the input is not modified).
     *
     * @throws IllegalArgumentException if {@code p} is out of range or a sample is NaN
     */
    public static OptionalDouble of(double[] samples, double p) {
        Objects.requireNonNull(samples, "samples");
        double[] copy = samples.clone();
        checkNoNaN(copy);
        Arrays.sort(copy);
        return ofSorted(copy, copy.length, p);
    }

    /**
     * Percentile {@code p} of unsorted samples, e.g. the {@code durationMs} values read back from a report.
     *
     * @throws IllegalArgumentException if {@code p} is out of range or a sample is NaN
     * @throws NullPointerException     if a sample is null
     */
    public static OptionalDouble of(Collection<? extends Number> samples, double p) {
        Objects.requireNonNull(samples, "samples");
        double[] values = new double[samples.size()];
        int i = 0;
        for (Number n : samples) {
            values[i++] = Objects.requireNonNull(n, "sample").doubleValue();
        }
        checkNoNaN(values);
        Arrays.sort(values);
        return ofSorted(values, values.length, p);
    }

    /** The value of {@code v}, or NaN when it is empty: what a gauge reports for an empty window. */
    public static double orNaN(OptionalDouble v) {
        return v.isPresent() ? v.getAsDouble() : Double.NaN;
    }

    private static void checkP(double p) {
        if (!(p > 0 && p <= 100)) {
            throw new IllegalArgumentException("percentile " + p + " is out of range; use 0 < p <= 100 (e.g. 50, 95, 99)");
        }
    }

    private static void checkNoNaN(double[] values) {
        for (int i = 0; i < values.length; i++) {
            if (Double.isNaN(values[i])) {
                throw new IllegalArgumentException("sample " + i + " is NaN; percentiles need numbers");
            }
        }
    }
}
