/**
 * Internals of the WebContainer driver, public only because the driver's package uses them: not API, may change
 * in any release. {@link dev.devs.sandbox.webcontainer.internal.Waits} (bounded waits and the back-off loop) and
 * {@link dev.devs.sandbox.webcontainer.internal.DaemonThreads} (the threads the module owns); the DevTools client
 * is in {@link dev.devs.sandbox.webcontainer.internal.cdp}.
 */
package dev.devs.sandbox.webcontainer.internal;
