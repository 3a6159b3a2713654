package dev.devs.sandbox;

import java.time.Duration;
import java.util.Objects;

/**
 * The outcome of one command run inside a sandbox with {@link Sandbox#exec}.
 *
 * @param exitCode the process's exit code (0 for success)
 * @param stdout   everything it wrote to standard output, decoded as UTF-8
 * @param stderr   everything it wrote to standard error, decoded as UTF-8 (empty where the driver
 *                 cannot separate the two streams)
 * @param duration wall time from the request to the collected result
 */
public record ExecResult(int exitCode, String stdout, String stderr, Duration duration) {
    public ExecResult {
        Objects.requireNonNull(stdout, "stdout");
        Objects.requireNonNull(stderr, "stderr");
        Objects.requireNonNull(duration, "duration");
    }

    /** Whether the command exited with code 0. */
    public boolean succeeded() {
        return exitCode == 0;
    }
}
