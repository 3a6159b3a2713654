/**
 * Internal: a small, typed Chrome DevTools protocol client on the JDK's {@code java.net.http} WebSocket and
 * Jackson, used by the WebContainer driver and not part of its API (public only because the driver's package
 * uses it; it may change in any release). {@link dev.devs.sandbox.webcontainer.internal.cdp.CdpConnection}
 * (browser socket, calls with ids and timeouts, event subscriptions, {@code Target} domain),
 * {@link dev.devs.sandbox.webcontainer.internal.cdp.CdpSession} (a flat session on one page) and the
 * {@link dev.devs.sandbox.webcontainer.internal.cdp.Network} events the driver watches. It knows nothing about
 * sandboxes.
 */
package dev.devs.sandbox.webcontainer.internal.cdp;
