/**
 * The API a host application uses: {@link dev.devs.sandbox.SandboxProvider} starts {@link dev.devs.sandbox.Sandbox}es
 * from a {@link dev.devs.sandbox.SandboxSpec} and emits {@link dev.devs.sandbox.SandboxLifecycleEvent}s to
 * {@link dev.devs.sandbox.SandboxLifecycleListener}s; {@link dev.devs.sandbox.SandboxPool} keeps sandboxes ready.
 * Failures are {@link dev.devs.sandbox.SandboxException}s (its Javadoc lays out the hierarchy). Drivers implement
 * {@link dev.devs.sandbox.spi}; {@code dev.devs.sandbox.internal} is not API.
 *
 * <p>Nullness: nothing is null unless its type says {@code @Nullable}.
 */
@NullMarked
package dev.devs.sandbox;

import org.jspecify.annotations.NullMarked;
