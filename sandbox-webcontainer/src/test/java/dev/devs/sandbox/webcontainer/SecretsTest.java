package dev.devs.sandbox.webcontainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.devs.sandbox.tck.RecordingListener;
import dev.devs.sandbox.SandboxLifecycleEvent;
import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxSpec;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The API key is a secret: a key planted here must appear in no exception message (cause and suppressed chains
 * included), no event, no string form of the driver, and nothing the driver logs (slf4j-simple writes to
 * System.err, captured here), whether the key is refused or used for a start that fails.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SecretsTest {

    private static final String SECRET = "wc-SECRET-planted-7f3a9c";

    @Test
    void aRefusedKeyIsNotEchoed() {
        Throwable t = catchThrowable(() -> WebContainerDriver.builder().apiKey(SECRET + " with a space").build());
        assertThat(t).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("apiKey");
        assertThat(texts(t)).noneMatch(s -> s.contains(SECRET));
    }

    @Test
    void aStartThatFailsWithAKeyShowsItNowhere() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort(); // released: nothing listens there
        }
        RecordingListener events = new RecordingListener();
        PrintStream realErr = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        Throwable failure;
        String driverText;
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try (WebContainerDriver driver = WebContainerDriver.builder().endpoint("http://127.0.0.1:" + port).apiKey(SECRET).build();
             SandboxProvider provider = SandboxProvider.builder(driver).listener(events).build()) {
            driverText = driver + " " + provider;
            failure = catchThrowable(() -> provider.start(SandboxSpec.builder().build()));
        } finally {
            System.setErr(realErr);
        }
        assertThat(failure).as("the start against a closed port").isNotNull();
        List<String> seen = texts(failure);
        seen.add(driverText);
        seen.add(captured.toString(StandardCharsets.UTF_8));
        for (SandboxLifecycleEvent e : events.events()) {
            seen.add(e.toString());
            seen.add(e.attributes().toString());
        }
        assertThat(String.join("\n", seen)).as("what the failure showed (the endpoint, to prove it was read)")
                .contains("127.0.0.1:" + port).doesNotContain(SECRET);
    }

    /** Messages and string forms of {@code t}, its causes and suppressed exceptions. */
    private static List<String> texts(Throwable t) {
        List<String> out = new ArrayList<>();
        collect(t, out, 0);
        return out;
    }

    private static void collect(Throwable t, List<String> out, int depth) {
        if (t == null || depth > 10) {
            return;
        }
        out.add(String.valueOf(t.getMessage()));
        out.add(t.toString());
        for (Throwable s : t.getSuppressed()) {
            collect(s, out, depth + 1);
        }
        collect(t.getCause(), out, depth + 1);
    }
}
