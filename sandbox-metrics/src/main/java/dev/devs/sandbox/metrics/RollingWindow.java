package dev.devs.sandbox.metrics;

import java.util.Arrays;
import java.util.List;
import java.util.OptionalDouble;

/**
 * The last {@code capacity} values of a series, kept two ways: sorted (for percentiles, by binary-search
 * insertion) and in arrival order (a ring, so the oldest is known when it must be evicted, and so samples
 * can be listed chronologically). Each value travels with an item (the sample it came from).
 *
 * <p>Not thread-safe: the reporter guards it with its lock. An add costs two binary searches and two
 * array shifts of at most {@code capacity} doubles — for 100 values, well under a microsecond, which is why
 * a sorted array beats a tree or a heap here.
 */
final class RollingWindow<T> {

    private final int capacity;
    private final double[] sorted;
    private final double[] ringValues;
    private final Object[] ringItems;
    private int size;
    private int oldest; // ring index of the oldest entry

    RollingWindow(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("window capacity " + capacity + " must be >= 1");
        }
        this.capacity = capacity;
        this.sorted = new double[capacity];
        this.ringValues = new double[capacity];
        this.ringItems = new Object[capacity];
    }

    /** Adds a value, evicting the oldest when full. {@code value} must not be NaN. */
    void add(double value, T item) {
        if (size == capacity) {
            removeSorted(ringValues[oldest]);
            ringItems[oldest] = null;
            oldest = (oldest + 1) % capacity;
            size--;
        }
        int slot = (oldest + size) % capacity;
        ringValues[slot] = value;
        ringItems[slot] = item;
        insertSorted(value);
        size++;
    }

    int size() {
        return size;
    }

    int capacity() {
        return capacity;
    }

    OptionalDouble percentile(double p) {
        return Percentiles.ofSorted(sorted, size, p);
    }

    /** A copy of the window's contents, taken under the owner's lock and used outside it. */
    Contents<T> contents() {
        double[] values = new double[size];
        Object[] items = new Object[size];
        for (int i = 0; i < size; i++) {
            int slot = (oldest + i) % capacity;
            values[i] = ringValues[slot];
            items[i] = ringItems[slot];
        }
        return new Contents<>(Arrays.copyOf(sorted, size), values, items);
    }

    /**
     * What a window held at one moment.
     *
     * @param sorted the values, ascending
     * @param values the values, oldest first
     * @param items  the items, oldest first (parallel to {@code values}; Object[] because T[] cannot be created)
     */
    record Contents<T>(double[] sorted, double[] values, Object[] items) {
        OptionalDouble percentile(double p) {
            return Percentiles.ofSorted(sorted, sorted.length, p);
        }

        int size() {
            return values.length;
        }

        @SuppressWarnings("unchecked")
        T item(int i) {
            return (T) items[i];
        }

        List<T> itemList() {
            List<T> out = new java.util.ArrayList<>(items.length);
            for (int i = 0; i < items.length; i++) {
                out.add(item(i));
            }
            return out;
        }
    }

    private void insertSorted(double value) {
        int at = Arrays.binarySearch(sorted, 0, size, value);
        if (at < 0) {
            at = -at - 1;
        }
        System.arraycopy(sorted, at, sorted, at + 1, size - at);
        sorted[at] = value;
    }

    private void removeSorted(double value) {
        int at = Arrays.binarySearch(sorted, 0, size, value);
        if (at < 0) {
            throw new IllegalStateException("window lost track of value " + value);
        }
        System.arraycopy(sorted, at + 1, sorted, at, size - at - 1);
    }
}
