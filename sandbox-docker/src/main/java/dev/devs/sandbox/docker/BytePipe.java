package dev.devs.sandbox.docker;

import java.io.IOException;
import java.io.InputStream;

/**
 * A bounded in-memory pipe from one writer thread (the attach stream's reader) to one reader (the host): the writer
 * blocks while it is full, so a command's output costs at most {@link #CAPACITY} bytes of heap whatever it prints.
 * Unlike {@link java.io.PipedInputStream} it does not fail when the writing thread ends, and once the reader closes
 * it, writes are dropped (so that an unread stream cannot stall the other stream of the same process).
 */
final class BytePipe extends InputStream {

    static final int CAPACITY = 256 * 1024;

    private final byte[] ring = new byte[CAPACITY];
    private int head;
    private int size;
    private boolean writerClosed;
    private boolean readerClosed;
    private IOException failure;
    /** Who waits: wake-ups only when someone does, as a 64 KiB chunk at a time otherwise costs two context switches. */
    private boolean writerWaiting;
    private boolean readerWaiting;

    /** Appends bytes, waiting while the pipe is full; dropped once the reader has closed. */
    synchronized void write(byte[] b, int off, int len) throws InterruptedException {
        while (len > 0) {
            while (size == CAPACITY && !readerClosed) {
                writerWaiting = true;
                wait();
            }
            writerWaiting = false;
            if (readerClosed) {
                return;
            }
            int tail = (head + size) % CAPACITY;
            int n = Math.min(len, Math.min(CAPACITY - size, CAPACITY - tail));
            System.arraycopy(b, off, ring, tail, n);
            size += n;
            off += n;
            len -= n;
            if (readerWaiting) {
                notifyAll();
            }
        }
    }

    /** End of stream for the reader, after what was written; with a failure, the reader gets it after the bytes. */
    synchronized void closeWriter(IOException failure) {
        writerClosed = true;
        if (this.failure == null) {
            this.failure = failure;
        }
        notifyAll();
    }

    @Override
    public synchronized int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public synchronized int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        try {
            while (size == 0 && !writerClosed && !readerClosed) {
                readerWaiting = true;
                wait();
            }
            readerWaiting = false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while waiting for a sandbox process's output");
        }
        if (readerClosed) {
            throw new IOException("stream closed");
        }
        if (size == 0) {
            if (failure != null) {
                throw failure;
            }
            return -1;
        }
        int n = Math.min(len, Math.min(size, CAPACITY - head));
        System.arraycopy(ring, head, b, off, n);
        head = (head + n) % CAPACITY;
        size -= n;
        if (writerWaiting) {
            notifyAll();
        }
        return n;
    }

    @Override
    public synchronized int available() {
        return size;
    }

    @Override
    public synchronized void close() {
        readerClosed = true;
        size = 0;
        notifyAll();
    }
}
