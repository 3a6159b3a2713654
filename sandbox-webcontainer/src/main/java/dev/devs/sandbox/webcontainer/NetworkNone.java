package dev.devs.sandbox.webcontainer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;

/**
 * What {@code network("none")} means for a WebContainer sandbox: its browser context may reach the driver's harness
 * page and the WebContainer runtime's origin, and nothing else (docs/security/isolation.md, "What each spec field
 * means on each driver").
 *
 * <p>Enforced by the browser context's own proxy settings ({@code Target.createBrowserContext} with
 * {@code proxyServer} and {@code proxyBypassList}) rather than by request interception: the proxy applies to every
 * request of the context, from the page, from cross-origin frames and from workers (where a WebContainer's
 * processes run) alike, and costs no DevTools round trip per request. The bypass list names the two allowed
 * origins and removes Chromium's implicit loopback bypass ({@code <-loopback>}), so another server on this machine
 * is refused too. The proxy is a loopback port this object holds bound without listening: a connection to it is
 * refused at once, and no other process can listen there while the driver runs.
 */
final class NetworkNone implements AutoCloseable {

    private final Socket refusingPort;
    private final String proxyServer;
    private final String bypassList;

    /**
     * @param harnessOrigin the harness page's origin, e.g. {@code http://127.0.0.1:40123}
     * @param runtimeOrigin the WebContainer runtime's origin (the driver's endpoint)
     */
    NetworkNone(URI harnessOrigin, String runtimeOrigin) {
        try {
            refusingPort = new Socket();
            // Bound, never listening: connects are refused (RST) immediately.
            refusingPort.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot reserve a loopback port for the sandboxes' network-none proxy", e);
        }
        this.proxyServer = "http://127.0.0.1:" + refusingPort.getLocalPort();
        this.bypassList = "<-loopback>;" + origin(harnessOrigin.toString()) + ";" + origin(runtimeOrigin);
    }

    /** Where every request that is not bypassed goes: a refusing port. */
    String proxyServer() {
        return proxyServer;
    }

    /** Chromium's bypass rules: the harness and runtime origins only. */
    String bypassList() {
        return bypassList;
    }

    private static String origin(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    @Override
    public void close() {
        try {
            refusingPort.close();
        } catch (IOException ignored) {
            // nothing to release beyond the port, which closing frees in any case
        }
    }

    @Override
    public String toString() {
        return "NetworkNone[proxy " + proxyServer + ", bypass " + bypassList + "]";
    }
}
