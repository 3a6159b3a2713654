/**
 * The driver SPI: what a sandbox technology implements ({@link dev.devs.sandbox.spi.SandboxDriver} and its
 * {@link dev.devs.sandbox.spi.SandboxDriver.Handle}) and what the provider gives it for each start
 * ({@link dev.devs.sandbox.spi.StartContext}, {@link dev.devs.sandbox.spi.PhaseRecorder}). A host application does not
 * call these; it hands a driver to {@link dev.devs.sandbox.SandboxProvider}. A new driver proves it keeps the contract
 * with the suite in {@code sandbox-tck}.
 *
 * <p>Nullness: nothing is null unless its type says {@code @Nullable}.
 */
@NullMarked
package dev.devs.sandbox.spi;

import org.jspecify.annotations.NullMarked;
