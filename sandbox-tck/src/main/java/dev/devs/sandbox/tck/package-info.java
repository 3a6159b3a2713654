/**
 * The driver contract suite: a driver's tests subclass {@link dev.devs.sandbox.tck.SandboxDriverContract}, assert
 * event sequences with {@link dev.devs.sandbox.tck.RecordingListener}, and call a driver directly with a context from
 * {@link dev.devs.sandbox.tck.TestStartContexts}. Depend on {@code dev.devs:sandbox-tck} in test scope.
 *
 * <p>Nullness: nothing is null unless its type says {@code @Nullable}.
 */
@NullMarked
package dev.devs.sandbox.tck;

import org.jspecify.annotations.NullMarked;
