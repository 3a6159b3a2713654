/**
 * Test support shipped in the module's test-jar: {@link dev.devs.sandbox.webcontainer.testing.StandInRuntime}, a
 * loopback TEST STAND-IN of StackBlitz's WebContainer runtime endpoint (not StackBlitz), which the driver's tests
 * and the benchmarks boot against because the hosted runtime is unreachable from the build machines.
 */
package dev.devs.sandbox.webcontainer.testing;
