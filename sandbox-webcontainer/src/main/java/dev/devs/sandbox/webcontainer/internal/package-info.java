/**
 * Internals of the WebContainer driver, public only because the driver's package uses them: not API, may change
 * in any release. {@link dev.devs.sandbox.webcontainer.internal.Waits} (bounded waits and the back-off loop); the
 * DevTools client is in {@link dev.devs.sandbox.webcontainer.internal.cdp}.
 */
package dev.devs.sandbox.webcontainer.internal;
