package dev.devs.sandbox.docker;

import dev.devs.sandbox.ExecSpec;
import dev.devs.sandbox.SandboxEndpoint;
import dev.devs.sandbox.SandboxExecException;
import dev.devs.sandbox.SandboxProcess;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The declared ports of one sandbox, reachable from the host while the sandbox keeps network {@code none}: for each
 * port, a listener on this host's loopback in the JVM; each connection it accepts is relayed through an exec in the
 * sandbox that connects to {@code 127.0.0.1:port} inside the sandbox's own network namespace. The sandbox gets no
 * interface, no route and no address of the host: it still reaches nothing, and only this JVM can open connections
 * to it (docs/decisions/0016-working-surface-attach-shell-files-relayed-ports.md, "Ports of a sandbox without a network").
 *
 * <p>The relay in the sandbox is {@code nc} when the image has it (BusyBox), else {@code python3}; an image with
 * neither answers each connection by closing it, and the reason is logged at debug level.
 */
final class PortRelays {

    private static final Logger log = LoggerFactory.getLogger(PortRelays.class);

    /** Copies stdin to 127.0.0.1:$1 and the answer to stdout; half-closes each way at its end. */
    private static final String PY_RELAY = String.join("\n",
            "import os, socket, sys, threading",
            "s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))",
            "def up():",
            "    while True:",
            "        d = os.read(0, 65536)",
            "        if not d: break",
            "        s.sendall(d)",
            "    s.shutdown(socket.SHUT_WR)",
            "threading.Thread(target=up, daemon=True).start()",
            "out = sys.stdout.buffer",
            "while True:",
            "    d = s.recv(65536)",
            "    if not d: break",
            "    out.write(d); out.flush()");
    private static final String RELAY = "if command -v nc > /dev/null 2>&1; then exec nc 127.0.0.1 \"$1\";"
            + " elif command -v python3 > /dev/null 2>&1; then exec python3 -c \"$2\" \"$1\";"
            + " else echo \"the sandbox has neither nc nor python3 to relay port $1\" >&2; exit 127; fi";

    private final ContainerSurface surface;
    private final Map<Integer, Listener> listeners = new ConcurrentHashMap<>();
    private volatile boolean closed;

    PortRelays(ContainerSurface surface) {
        this.surface = surface;
    }

    /** The endpoint of {@code port}, opening its listener on first use. */
    synchronized SandboxEndpoint endpoint(int port) {
        if (closed) {
            throw new SandboxExecException(surface.sandboxId(), "sandbox " + surface.sandboxId() + " has ended: port " + port
                    + " is no longer reachable");
        }
        Listener l = listeners.get(port);
        if (l == null) {
            try {
                l = new Listener(port);
            } catch (IOException e) {
                throw new SandboxExecException(surface.sandboxId(), "cannot listen on this host's loopback for port " + port
                        + " of sandbox " + surface.sandboxId() + ": " + e.getMessage(), e);
            }
            listeners.put(port, l);
            l.start();
        }
        return SandboxEndpoint.http(port, "127.0.0.1", l.server.getLocalPort());
    }

    /** Closes every listener and the connections they relay. */
    synchronized void close() {
        closed = true;
        listeners.values().forEach(Listener::close);
        listeners.clear();
    }

    private final class Listener extends Thread {
        final int port;
        final ServerSocket server;
        private final java.util.Set<Socket> open = ConcurrentHashMap.newKeySet();

        Listener(int port) throws IOException {
            super("devs-docker-port-" + surface.sandboxId() + "-" + port);
            setDaemon(true);
            this.port = port;
            this.server = new ServerSocket();
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
        }

        @Override
        public void run() {
            while (!server.isClosed()) {
                Socket s;
                try {
                    s = server.accept();
                } catch (IOException e) {
                    return; // closed with the sandbox
                }
                open.add(s);
                Thread t = new Thread(() -> relay(s), getName() + "-conn");
                t.setDaemon(true);
                t.start();
            }
        }

        private void relay(Socket s) {
            SandboxProcess p = null;
            try (s) {
                s.setTcpNoDelay(true);
                p = surface.start(ExecSpec.builder(List.of("sh", "-c", RELAY, "sh", Integer.toString(port), PY_RELAY)).build());
                SandboxProcess proc = p;
                Thread up = new Thread(() -> {
                    try (OutputStream in = proc.stdin(); InputStream from = s.getInputStream()) {
                        from.transferTo(in);
                    } catch (IOException e) {
                        // The host side or the relay closed: the other direction ends on its own.
                    }
                }, getName() + "-up");
                up.setDaemon(true);
                up.start();
                try (OutputStream to = s.getOutputStream()) {
                    proc.stdout().transferTo(to);
                    s.shutdownOutput();
                }
                up.join(1000);
                if (proc.waitFor(java.time.Duration.ofSeconds(1)) && proc.exitValue() == 127) {
                    log.debug("port {} of sandbox {}: {}", port, surface.sandboxId(),
                            new String(proc.stderr().readNBytes(4096), java.nio.charset.StandardCharsets.UTF_8).trim());
                }
            } catch (IOException | RuntimeException e) {
                log.debug("relay of port {} of sandbox {} ended: {}", port, surface.sandboxId(), e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                open.remove(s);
                if (p != null) {
                    p.close();
                }
            }
        }

        void close() {
            try {
                server.close();
            } catch (IOException ignored) {
                // Closing a listener twice.
            }
            for (Socket s : open) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // Already closed by its peer.
                }
            }
        }
    }
}
