package dev.devs.sandbox.docker;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.transport.DockerHttpClient;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The Unix-socket answer deadline interrupts only a caller that is blocked in the engine's I/O. The silent-server
 * cases are in {@link SilentEngineTest}; this is the other side: a caller that got its answer and then holds the
 * response (or is busy elsewhere) when the timer fires must not receive a stray interrupt.
 */
class AnswerDeadlineTest {

    /** Answers at once, as an engine does; the test is about what the wrapper does afterwards. */
    private static final DockerHttpClient PROMPT = new DockerHttpClient() {
        @Override
        public Response execute(Request request) {
            return new Response() {
                @Override public int getStatusCode() { return 200; }
                @Override public Map<String, List<String>> getHeaders() { return Map.of(); }
                @Override public InputStream getBody() { return new ByteArrayInputStream("{}".getBytes(StandardCharsets.UTF_8)); }
                @Override public void close() { }
            };
        }

        @Override
        public void close() { }
    };

    @Test
    @Timeout(10)
    void aTimerFiringOutsideTheEngineIoNeverInterruptsTheCaller() throws Exception {
        AnswerDeadline deadline = new AnswerDeadline(PROMPT, Duration.ofMillis(100));
        DockerHttpClient.Response response = deadline.execute(DockerHttpClient.Request.builder()
                .method(DockerHttpClient.Request.Method.GET).path("/_ping").build());

        // Hold the response unclosed past the deadline, doing something other than reading it.
        long until = System.nanoTime() + Duration.ofMillis(400).toNanos();
        while (System.nanoTime() < until) {
            Thread.onSpinWait();
        }

        assertThat(Thread.currentThread().isInterrupted()).as("caller interrupted outside I/O").isFalse();
        // The late read reports the timeout rather than hanging or succeeding silently past it.
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> response.getBody().read())
                .isInstanceOf(java.net.SocketTimeoutException.class).hasMessageContaining("PT0.1S");
        response.close();
        assertThat(Thread.interrupted()).as("interrupt left after close").isFalse();
    }

    @Test
    @Timeout(10)
    void aCallAnsweredAndClosedInTimeLeavesNoTimerBehind() throws Exception {
        AnswerDeadline deadline = new AnswerDeadline(PROMPT, Duration.ofMillis(100));
        for (int i = 0; i < 100; i++) {
            try (DockerHttpClient.Response r = deadline.execute(DockerHttpClient.Request.builder()
                    .method(DockerHttpClient.Request.Method.GET).path("/_ping").build())) {
                assertThat(r.getBody().readAllBytes()).hasSize(2);
            }
        }
        Thread.sleep(300);
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
    }
}
