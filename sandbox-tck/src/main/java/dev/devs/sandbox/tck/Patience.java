package dev.devs.sandbox.tck;

import java.time.Duration;

/**
 * The one factor every deadline of the default tests is multiplied by, so that a machine slower than the ones the
 * tests were written on can raise them all at once: {@code mvn verify -Ddevs.test.patience=3}. Surefire passes the
 * Maven property {@code devs.test.patience} (default 1) to the test JVM as a system property of the same name.
 *
 * <p>A deadline here bounds a wait on a condition; it is never an assertion on how long something took. The upper
 * bounds that remain requirements of the library are listed in docs/design.md ("Time bounds the tests hold the
 * library to").
 */
public final class Patience {

    /** The system property that carries the factor. */
    public static final String PROPERTY = "devs.test.patience";

    /** The factor, at least 1; a value that is not a number fails the class loading with a message naming it. */
    public static final double FACTOR = read(System.getProperty(PROPERTY));

    private Patience() {
    }

    /** {@code base} multiplied by the factor. */
    public static Duration of(Duration base) {
        return Duration.ofNanos((long) (base.toNanos() * FACTOR));
    }

    /** {@code seconds} seconds multiplied by the factor. */
    public static Duration seconds(long seconds) {
        return of(Duration.ofSeconds(seconds));
    }

    /** {@code millis} milliseconds multiplied by the factor. */
    public static Duration millis(long millis) {
        return of(Duration.ofMillis(millis));
    }

    static double read(String value) {
        if (value == null || value.isBlank()) {
            return 1;
        }
        double factor;
        try {
            factor = Double.parseDouble(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(PROPERTY + " '" + value + "' is not a number; use a factor of 1 or more, e.g. 3");
        }
        if (!(factor >= 1) || Double.isInfinite(factor)) {
            throw new IllegalArgumentException(PROPERTY + " " + value + " is out of range; use a factor of 1 or more, e.g. 3");
        }
        return factor;
    }
}
