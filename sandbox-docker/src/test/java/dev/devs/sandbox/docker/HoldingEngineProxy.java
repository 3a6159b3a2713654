package dev.devs.sandbox.docker;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Test stand-in for an engine that is slow to get to a {@code create container} request: a loopback proxy on a Unix
 * socket in front of the real engine's socket, forwarding every byte both ways, except that it holds back one
 * create request (buffered, not sent) until {@link #release()}. Then it sends it on to the real engine, even
 * if the client has gone meanwhile, as an engine that had read the request would still act on it, and
 * {@link #createAnswer()} completes with the status line the engine answered it with. Everything else passes as is.
 */
final class HoldingEngineProxy implements Closeable {

    private final ServerSocketChannel server;
    private final Path upstream;
    private final List<Closeable> open = new CopyOnWriteArrayList<>();
    private final int createsToPass;
    private final AtomicInteger creates = new AtomicInteger();
    private final CountDownLatch held = new CountDownLatch(1);
    private final CountDownLatch released = new CountDownLatch(1);
    private final CompletableFuture<String> createAnswer = new CompletableFuture<>();

    /**
     * Listens on {@code socket}, forwarding to the engine's Unix socket {@code upstream}; lets {@code createsToPass}
     * creates through before it holds one.
     */
    HoldingEngineProxy(Path socket, Path upstream, int createsToPass) throws IOException {
        this.upstream = upstream;
        this.createsToPass = createsToPass;
        this.server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        daemon("stand-in proxy accept", () -> {
            while (true) {
                SocketChannel client = server.accept();
                open.add(client);
                SocketChannel engine = SocketChannel.open(UnixDomainSocketAddress.of(upstream));
                open.add(engine);
                Connection c = new Connection();
                // The channels themselves, not Channels.newInputStream/newOutputStream: those streams share one lock per
                // channel, so a read blocked on it would block the other direction's writes.
                daemon("stand-in proxy request pump", () -> c.requests(client, engine));
                daemon("stand-in proxy answer pump", () -> c.answers(engine, client));
            }
        });
    }

    /** True once a create request is being held back. */
    boolean holdsACreate() {
        return held.getCount() == 0;
    }

    /** Sends the held create (and what followed it) on to the engine. */
    void release() {
        released.countDown();
    }

    /** The engine's status line for the held create, e.g. {@code HTTP/1.1 201 Created}, once it answered it. */
    CompletableFuture<String> createAnswer() {
        return createAnswer;
    }

    @Override
    public void close() throws IOException {
        released.countDown();
        server.close();
        for (Closeable c : open) {
            c.close();
        }
    }

    /** One client connection: requests go one at a time on it, so the answer after a held create is the create's. */
    private final class Connection {
        private volatile boolean carriesTheCreate;

        private final Object lock = new Object();
        private ByteArrayOutputStream kept; // what the client sent from the held create on, until the release

        void requests(SocketChannel from, SocketChannel to) throws IOException {
            ByteBuffer in = ByteBuffer.allocate(64 * 1024);
            byte[] buf = in.array();
            int n;
            try {
                while ((n = from.read(in.clear())) > 0) {
                    synchronized (lock) {
                        if (kept == null && !carriesTheCreate && isTheCreateToHold(buf, n)) {
                            carriesTheCreate = true;
                            kept = new ByteArrayOutputStream();
                            held.countDown();
                            daemon("stand-in proxy release", () -> sendKeptOnRelease(to));
                        }
                        if (kept != null) {
                            kept.write(buf, 0, n);
                            continue;
                        }
                        writeAll(to, buf, n);
                    }
                }
            } catch (IOException clientGone) {
                // The client closed its end (it gave up); a held create still goes to the engine on release.
            }
        }

        private void sendKeptOnRelease(SocketChannel to) throws IOException {
            await(released);
            synchronized (lock) {
                byte[] k = kept.toByteArray();
                writeAll(to, k, k.length);
                kept = null; // later bytes pass straight through
            }
        }

        void answers(SocketChannel from, SocketChannel to) throws IOException {
            ByteBuffer in = ByteBuffer.allocate(64 * 1024);
            byte[] buf = in.array();
            int n;
            boolean clientGone = false;
            while ((n = from.read(in.clear())) > 0) {
                if (carriesTheCreate && !createAnswer.isDone()) {
                    String head = new String(buf, 0, n, StandardCharsets.ISO_8859_1);
                    createAnswer.complete(head.lines().findFirst().orElse(""));
                }
                if (!clientGone) {
                    try {
                        writeAll(to, buf, n);
                    } catch (IOException e) {
                        clientGone = true; // keep reading, so the engine finishes its answer undisturbed
                    }
                }
            }
        }
    }

    private boolean isTheCreateToHold(byte[] buf, int n) {
        String head = new String(buf, 0, Math.min(n, 512), StandardCharsets.ISO_8859_1);
        return head.startsWith("POST ") && head.lines().findFirst().orElse("").contains("/containers/create")
                && creates.getAndIncrement() == createsToPass;
    }

    private static void writeAll(SocketChannel to, byte[] bytes, int length) throws IOException {
        ByteBuffer out = ByteBuffer.wrap(bytes, 0, length);
        while (out.hasRemaining()) {
            to.write(out);
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private interface Body {
        void run() throws IOException;
    }

    private static void daemon(String name, Body body) {
        Thread t = new Thread(() -> {
            try {
                body.run();
            } catch (IOException closed) {
                // The proxy or one side of the connection was closed.
            }
        }, name);
        t.setDaemon(true);
        t.start();
    }
}
