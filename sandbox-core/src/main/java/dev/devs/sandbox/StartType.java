package dev.devs.sandbox;

import dev.devs.sandbox.spi.SandboxDriver;
import java.util.Locale;

/**
 * How much of a sandbox's environment had to be prepared for one start.
 *
 * <p>The driver decides the start type during {@link SandboxDriver#start}; the provider puts it on the
 * READY (and, when known, FAILED) event. Reports and metrics keep one latency series per
 * (driver, start type), because a cold start and a warm start are different distributions.
 */
public enum StartType {
    /** The environment had to be fetched or launched for this start: image pulled, browser launched. */
    COLD,
    /** The environment was present: image local, browser already running. */
    WARM,
    /** An already-ready sandbox was handed out from a pool. */
    POOLED,
    /**
     * A new sandbox restored from a {@link SandboxSnapshot} ({@link SandboxProvider#fork}): no image or program start,
     * but the checkpoint's memory read back. A pool whose template is a snapshot refills with forks.
     */
    FORKED;

    /** The lower-case name used in reports, metric tags and the analyzer: {@code cold}, {@code warm}, {@code pooled}, {@code forked}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses a {@link #wireName()} (case-insensitive).
     *
     * @throws IllegalArgumentException naming the value and the valid names when it is none of them
     */
    public static StartType fromWireName(String name) {
        for (StartType t : values()) {
            if (t.wireName().equalsIgnoreCase(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("startType '" + name + "' is not one of cold, warm, pooled, forked");
    }
}
