package dev.devs.sandbox.docker;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * One exec's attach stream on a connection of its own: {@code POST /exec/{id}/start} upgraded to a raw stream, as
 * the Docker CLI does it. The driver speaks this one call itself because docker-java's transport cannot half-close
 * an attach stream, and half-closing is how a process gets end-of-file on its stdin; with the connection in hand,
 * output is also read only as fast as the host consumes it (the engine holds the rest), so memory stays bounded.
 * Works on a {@code unix://} socket and plain {@code tcp://}; dockerd and Podman's Docker API alike.
 */
final class AttachConnection implements Closeable {

    /** The engine's answer when the exec could not be started: its status and message. */
    static final class Refused extends IOException {
        private static final long serialVersionUID = 1L;
        final int status;

        Refused(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    private final SocketChannel channel;
    private final InputStream in;
    private final OutputStream out;
    /** The Content-Length of an error answer, or -1. */
    private int contentLength = -1;

    private AttachConnection(SocketChannel channel) {
        this.channel = channel;
        this.in = new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] b = new byte[1];
                return read(b, 0, 1) < 0 ? -1 : b[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) {
                    return 0;
                }
                int n = channel.read(ByteBuffer.wrap(b, off, len));
                return n; // -1 at end of stream; never 0 on a blocking channel
            }
        };
        this.out = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                ByteBuffer buf = ByteBuffer.wrap(b, off, len);
                while (buf.hasRemaining()) {
                    channel.write(buf);
                }
            }

            @Override
            public void close() throws IOException {
                if (channel.isOpen()) {
                    channel.shutdownOutput();
                }
            }
        };
    }

    /**
     * Starts exec {@code execId} attached, and returns once the engine has answered with the raw stream.
     *
     * @throws Refused     the engine answered with an error status (404: no such exec or container; 409: not running)
     * @throws IOException the engine could not be reached
     */
    static AttachConnection start(String dockerHost, String execId, boolean tty) throws IOException {
        SocketChannel ch = open(dockerHost);
        try {
            byte[] body = ("{\"Detach\":false,\"Tty\":" + tty + "}").getBytes(StandardCharsets.US_ASCII);
            String request = "POST /v1.41/exec/" + execId + "/start HTTP/1.1\r\n"
                    + "Host: docker\r\n"
                    + "User-Agent: devs-sandbox\r\n"
                    + "Content-Type: application/json\r\n"
                    + "Connection: Upgrade\r\n"
                    + "Upgrade: tcp\r\n"
                    + "Content-Length: " + body.length + "\r\n\r\n";
            AttachConnection c = new AttachConnection(ch);
            c.out.write(request.getBytes(StandardCharsets.US_ASCII));
            c.out.write(body);
            int status = c.readHead();
            if (status != 101 && status != 200) {
                byte[] err = c.in.readNBytes(c.contentLength >= 0 ? Math.min(c.contentLength, 16 * 1024) : 16 * 1024);
                ch.close();
                String text = new String(err, StandardCharsets.UTF_8).trim();
                int m = text.indexOf("\"message\":\"");
                if (m >= 0) {
                    text = text.substring(m + 11, Math.max(m + 11, text.indexOf('"', m + 11)));
                }
                throw new Refused(status, "the engine answered " + status + " to starting exec " + execId + ": " + text);
            }
            return c;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static SocketChannel open(String dockerHost) throws IOException {
        URI uri = URI.create(dockerHost);
        switch (uri.getScheme().toLowerCase(Locale.ROOT)) {
            case "unix": {
                SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
                ch.connect(UnixDomainSocketAddress.of(uri.getPath()));
                return ch;
            }
            case "tcp":
                return SocketChannel.open(new InetSocketAddress(uri.getHost(), uri.getPort()));
            default:
                throw new IOException("attach streams need a unix:// or tcp:// engine address, not " + dockerHost);
        }
    }

    /** Reads the status line and headers byte by byte, so that not one byte of the stream after them is taken. */
    private int readHead() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int status = -1;
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("the engine closed the connection before answering the exec start");
            }
            if (b == '\n') {
                String s = line.toString(StandardCharsets.US_ASCII).trim();
                line.reset();
                if (status < 0) {
                    String[] parts = s.split(" ");
                    status = parts.length > 1 ? Integer.parseInt(parts[1]) : 0;
                } else if (s.isEmpty()) {
                    return status;
                } else if (s.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                    contentLength = Integer.parseInt(s.substring(15).trim());
                }
            } else {
                line.write(b);
            }
        }
    }

    /** The raw stream from the engine (multiplexed frames without a terminal, raw bytes with one). */
    InputStream input() {
        return in;
    }

    /** The process's stdin; {@code close()} half-closes the connection, which gives the process end-of-file. */
    OutputStream output() {
        return out;
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // Closing a connection the engine already closed.
        }
    }
}
