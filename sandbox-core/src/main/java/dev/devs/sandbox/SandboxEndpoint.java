package dev.devs.sandbox;

import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Objects;

/**
 * Where the host reaches a port a sandbox serves ({@link Sandbox#endpoint(int)}).
 *
 * @param port    the port inside the sandbox, as declared in {@link SandboxSpec#ports()}
 * @param address an address the host connects to with a plain TCP socket
 * @param url     the same as an {@code http://} URL (a driver whose runtime gives its own URL, such as a preview URL,
 *                gives that)
 */
public record SandboxEndpoint(int port, InetSocketAddress address, URI url) {
    public SandboxEndpoint {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(url, "url");
    }

    /** An endpoint at {@code host:hostPort} for sandbox port {@code port}, with its {@code http://} URL. */
    public static SandboxEndpoint http(int port, String host, int hostPort) {
        return new SandboxEndpoint(port, new InetSocketAddress(host, hostPort),
                URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + hostPort + "/"));
    }
}
