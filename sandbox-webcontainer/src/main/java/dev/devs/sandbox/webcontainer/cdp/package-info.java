/**
 * A small, typed Chrome DevTools protocol client on the JDK's {@code java.net.http} WebSocket and Jackson:
 * {@link dev.devs.sandbox.webcontainer.cdp.CdpConnection} (browser socket, calls with ids and timeouts, event
 * subscriptions, {@code Target} domain), {@link dev.devs.sandbox.webcontainer.cdp.CdpSession} (a flat session on
 * one page) and the {@link dev.devs.sandbox.webcontainer.cdp.Network} events the driver watches. It knows
 * nothing about sandboxes.
 */
package dev.devs.sandbox.webcontainer.cdp;
