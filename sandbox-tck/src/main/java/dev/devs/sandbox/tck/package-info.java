/**
 * The driver contract suite: a driver's tests subclass {@link dev.devs.sandbox.tck.SandboxDriverContract}, assert
 * event sequences with {@link dev.devs.sandbox.tck.RecordingListener}, and call a driver directly with a context from
 * {@link dev.devs.sandbox.tck.TestStartContexts}. Depend on {@code dev.devs:sandbox-tck} in test scope.
 *
 * <p>Deadlines of tests scale with one factor, {@link dev.devs.sandbox.tck.Patience}; the JUnit extension
 * {@link dev.devs.sandbox.tck.PatientTimeouts}, registered for JUnit's extension auto-detection, scales the
 * {@code @Timeout}s by it where a build turns auto-detection on and JUnit's own timeouts off.
 *
 * <p>Nullness: nothing is null unless its type says {@code @Nullable}.
 */
@NullMarked
package dev.devs.sandbox.tck;

import org.jspecify.annotations.NullMarked;
