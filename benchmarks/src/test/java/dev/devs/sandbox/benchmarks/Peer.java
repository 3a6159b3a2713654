package dev.devs.sandbox.benchmarks;

import dev.devs.sandbox.SandboxSpec;
import java.time.Duration;

/**
 * Another way to start the same container on the same engine, measured beside our driver so that its
 * numbers have a reference: the raw engine API, {@code docker run -d}, Testcontainers.
 *
 * <p>A peer starts what {@link PeerContainers} derives from the {@link SandboxSpec} our driver gets (same
 * image, command and host settings), labels it like our sandboxes, and removes it after each sample.
 */
interface Peer extends AutoCloseable {

    /** Stable name in the report: {@code raw-engine-api}, {@code docker-cli}, {@code testcontainers}. */
    String name();

    /** What exactly is timed, for the report's reader. */
    String description();

    /**
     * Starts one container of {@code spec} named {@code sampleId}, returns how long that took until the peer
     * considers it started, then removes it (removal is not timed).
     *
     * @throws Exception whatever the peer's API throws; the container is removed in any case
     */
    Duration sample(SandboxSpec spec, String sampleId) throws Exception;

    @Override
    void close();
}
