package dev.devs.sandbox.docker;

import com.github.dockerjava.transport.DockerHttpClient;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Bounds the wait for the engine's answer to one request/response call on a Unix socket, where the HTTP
 * client's own response timeout does not work: docker-java reads a Unix socket through a blocking
 * {@code SocketChannel} stream, which ignores the socket read timeout (verified: a silent Unix-socket server
 * blocked a call for good, while the same timeout cut a silent TCP server after 1 s). That channel is
 * interruptible, though, so a timer interrupts the calling thread once the timeout has passed; the channel
 * closes and the call fails, and this class turns that failure into a {@link SocketTimeoutException} (the
 * same exception a timed-out TCP read throws) and clears the interrupt it caused.
 *
 * <p>The timer runs from {@code execute} until the response is closed, so it covers reading the body too;
 * docker-java closes every response of a request/response call. Not for streams (logs, attach, pull): they
 * may be silent for as long as the command is.
 */
final class AnswerDeadline implements DockerHttpClient {

    private static final ScheduledThreadPoolExecutor TIMER = timer();

    private final DockerHttpClient delegate;
    private final Duration timeout;

    AnswerDeadline(DockerHttpClient delegate, Duration timeout) {
        this.delegate = delegate;
        this.timeout = timeout;
    }

    private static ScheduledThreadPoolExecutor timer() {
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
            Thread th = new Thread(r, "devs-docker-answer-deadline");
            th.setDaemon(true);
            return th;
        });
        t.setRemoveOnCancelPolicy(true); // a call answered in time leaves nothing queued
        return t;
    }

    @Override
    public Response execute(Request request) {
        Call call = new Call(Thread.currentThread());
        call.inIo = true; // not yet visible to the timer
        call.timer = TIMER.schedule(call, timeout.toNanos(), TimeUnit.NANOSECONDS);
        Response response;
        try {
            response = delegate.execute(request);
        } catch (RuntimeException | Error e) {
            call.exitIo();
            if (call.finish()) {
                throw new RuntimeException(timedOut(e));
            }
            throw e;
        }
        call.exitIo();
        return new TimedResponse(response, call);
    }

    @Override
    public void close() throws IOException {
        delegate.close();
    }

    private SocketTimeoutException timedOut(Throwable cause) {
        SocketTimeoutException e = new SocketTimeoutException("no answer within the response timeout " + timeout);
        e.initCause(cause);
        return e;
    }

    /** One call's race between its end and its timer. */
    private static final class Call implements Runnable {
        private static final int RUNNING = 0;
        private static final int DONE = 1;
        private static final int TIMED_OUT = 2;

        private final Thread caller;
        private final AtomicInteger state = new AtomicInteger(RUNNING);
        volatile ScheduledFuture<?> timer;
        /** Whether the caller is inside the engine I/O right now; guarded by this. */
        private boolean inIo;
        /** Whether the timer interrupted the caller; guarded by this. */
        private boolean interrupted;

        Call(Thread caller) {
            this.caller = caller;
        }

        @Override
        public void run() {
            // State change and interrupt under one lock: finish() that sees TIMED_OUT then clears a delivered interrupt.
            synchronized (this) {
                // Interrupt only a caller blocked in the engine I/O: one that is elsewhere (parsing between reads, or
                // holding a response it never closes) must never get a stray interrupt. Outside I/O, the next read
                // sees the timeout instead (enterIo).
                if (state.compareAndSet(RUNNING, TIMED_OUT) && inIo) {
                    interrupted = true;
                    caller.interrupt();
                }
            }
        }

        /** Before a read of the answer: fails at once if the timeout has already passed. */
        synchronized void enterIo(AnswerDeadline owner) throws SocketTimeoutException {
            if (state.get() == TIMED_OUT) {
                throw owner.timedOut(null);
            }
            inIo = true;
        }

        synchronized void exitIo() {
            inIo = false;
        }

        boolean timedOut() {
            return state.get() == TIMED_OUT;
        }

        /** Ends the call on the caller's thread; true if the timer fired, whose interrupt is then cleared. */
        boolean finish() {
            if (state.compareAndSet(RUNNING, DONE)) {
                ScheduledFuture<?> t = timer;
                if (t != null) {
                    t.cancel(false);
                }
                return false;
            }
            if (state.get() == DONE) {
                return false; // finished before (close after a body read)
            }
            synchronized (this) {
                // The timer's interrupt, if it sent one, has been delivered by now: clear it, and only it.
                if (interrupted) {
                    interrupted = false;
                    Thread.interrupted();
                }
            }
            return true;
        }
    }

    private final class TimedResponse implements Response {
        private final Response delegate;
        private final Call call;
        private InputStream body;

        TimedResponse(Response delegate, Call call) {
            this.delegate = delegate;
            this.call = call;
        }

        @Override
        public int getStatusCode() {
            return delegate.getStatusCode();
        }

        @Override
        public Map<String, List<String>> getHeaders() {
            return delegate.getHeaders();
        }

        @Override
        public InputStream getBody() {
            if (body == null) {
                body = new FilterInputStream(delegate.getBody()) {
                    @Override
                    public int read() throws IOException {
                        call.enterIo(AnswerDeadline.this);
                        try {
                            return super.read();
                        } catch (IOException | RuntimeException e) {
                            throw translate(e);
                        } finally {
                            call.exitIo();
                        }
                    }

                    @Override
                    public int read(byte[] b, int off, int len) throws IOException {
                        call.enterIo(AnswerDeadline.this);
                        try {
                            return super.read(b, off, len);
                        } catch (IOException | RuntimeException e) {
                            throw translate(e);
                        } finally {
                            call.exitIo();
                        }
                    }
                };
            }
            return body;
        }

        private IOException translate(Exception e) throws IOException {
            if (call.timedOut()) {
                return timedOut(e);
            }
            if (e instanceof IOException io) {
                return io;
            }
            throw (RuntimeException) e;
        }

        @Override
        public void close() {
            try {
                delegate.close();
            } finally {
                call.finish();
            }
        }
    }
}
