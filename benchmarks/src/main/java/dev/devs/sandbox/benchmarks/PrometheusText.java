package dev.devs.sandbox.benchmarks;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Objects;

/**
 * The Prometheus text exposition of a registry, as a string or written to a file, so that a benchmark run
 * leaves {@code .devs/reports/metrics.prom} behind for anyone to read or feed to {@code promtool}.
 */
public final class PrometheusText {

    /** Where a benchmark run writes the scrape text (relative to the working directory). */
    public static final Path DEFAULT_PATH = Path.of(".devs", "reports", "metrics.prom");

    private PrometheusText() {
    }

    /**
     * The scrape text (format 0.0.4) of {@code registry}: a {@link PrometheusMeterRegistry}, or a
     * {@link CompositeMeterRegistry} holding one.
     *
     * @throws IllegalArgumentException if there is no Prometheus registry in it
     */
    public static String scrape(MeterRegistry registry) {
        return prometheus(registry).scrape();
    }

    /**
     * Writes {@link #scrape} to {@code target} atomically (temp file + rename in the same directory), creating
     * the directory when missing.
     *
     * @return {@code target}
     * @throws IOException if the file cannot be written; a previous file is left as it was
     */
    public static Path write(MeterRegistry registry, Path target) throws IOException {
        Objects.requireNonNull(target, "target");
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        // A reader sees the old file or the new one, never half of one: write a sibling, then rename over.
        // rw-r--r--: the scrape text is meant for other users and tools (createTempFile's default is 0600).
        Path tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));
        try {
            Files.write(tmp, scrape(registry).getBytes(StandardCharsets.UTF_8));
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return target;
    }

    private static PrometheusMeterRegistry prometheus(MeterRegistry registry) {
        Objects.requireNonNull(registry, "registry");
        if (registry instanceof PrometheusMeterRegistry p) {
            return p;
        }
        if (registry instanceof CompositeMeterRegistry c) {
            for (MeterRegistry child : c.getRegistries()) {
                if (child instanceof PrometheusMeterRegistry p) {
                    return p;
                }
            }
        }
        throw new IllegalArgumentException("registry " + registry.getClass().getName()
                + " is not a PrometheusMeterRegistry (nor a composite holding one); create it with "
                + "new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)");
    }
}
