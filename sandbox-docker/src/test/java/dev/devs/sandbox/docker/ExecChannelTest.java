package dev.devs.sandbox.docker;

import static dev.devs.sandbox.docker.DockerTestSupport.PATIENCE;
import static dev.devs.sandbox.docker.DockerTestSupport.sleeper;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.devs.sandbox.ExecResult;
import dev.devs.sandbox.ExecSpec;
import dev.devs.sandbox.Sandbox;
import dev.devs.sandbox.SandboxExecTimeoutException;
import dev.devs.sandbox.SandboxProcess;
import dev.devs.sandbox.SandboxProvider;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Commands through the command channel: the sandbox's attributes say so, and everything the engine's exec gives
 * (exit codes, stderr apart, binary output, stdin, timeouts that kill children, many at once) holds.
 */
@Timeout(120)
@ExtendWith(SessionLeakCheck.class)
class ExecChannelTest {

    private static SandboxProvider provider;
    private static Sandbox sandbox;

    @BeforeAll
    static void startSandbox() {
        provider = SandboxProvider.of(new DockerDriver());
        sandbox = provider.start(sleeper().env("GREETING", "hello from env").build());
        awaitChannel(sandbox);
    }

    @AfterAll
    static void stopSandbox() {
        provider.close();
    }

    /** The first command takes the engine's exec and opens the channel in the background; wait until it is open. */
    static void awaitChannel(Sandbox sb) {
        assertThat(sb.exec("true").exitCode()).isZero();
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(sb.attributes())
                .as("the channel opens after the first command").containsEntry("exec.path", "channel"));
    }

    @Test
    void exitCodesAndStderrComeThroughTheChannel() {
        ExecResult r = sandbox.exec("sh", "-c", "echo to-out; echo to-err >&2; exit 3");
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.stdout()).isEqualTo("to-out\n");
        assertThat(r.stderr()).isEqualTo("to-err\n");
        assertThat(sandbox.exec("true").exitCode()).isZero();
        assertThat(sandbox.exec("sh", "-c", "kill -TERM $$").exitCode()).as("killed by a signal: 128 + its number").isEqualTo(143);
        assertThat(sandbox.exec("sh", "-c", "echo \"$GREETING\"; pwd").stdout()).isEqualTo("hello from env\n/workspace\n");
        assertThat(sandbox.attributes()).containsEntry("exec.path", "channel");
    }

    @Test
    void aMissingProgramExits127NamingIt() {
        ExecResult r = sandbox.exec("/no/such/program");
        assertThat(r.exitCode()).isEqualTo(127);
        assertThat(r.stderr()).contains("/no/such/program");
    }

    @Test
    void everyByteValueArrivesUnchanged() {
        // printf's octal escapes give all 256 values, NUL and invalid UTF-8 included; the streaming exec keeps bytes.
        StringBuilder fmt = new StringBuilder();
        for (int i = 0; i < 256; i++) {
            fmt.append('\\').append(Integer.toOctalString(i));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code = sandbox.exec(ExecSpec.builder("printf", fmt.toString()).build(), out, new ByteArrayOutputStream());
        assertThat(code).isZero();
        byte[] got = out.toByteArray();
        assertThat(got).hasSize(256);
        for (int i = 0; i < 256; i++) {
            assertThat(got[i] & 0xff).as("byte " + i).isEqualTo(i);
        }
    }

    @Test
    void stdinReachesTheCommand() {
        byte[] input = "line one\nline two\n".repeat(5000).getBytes(StandardCharsets.UTF_8);
        ExecResult r = sandbox.exec(ExecSpec.builder("wc", "-c").stdin(input).build());
        assertThat(r.stdout().trim()).isEqualTo(Integer.toString(input.length));
    }

    @Test
    void aHundredCommandsAtOnceAllAnswerCorrectly() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(100);
        try {
            List<Future<ExecResult>> results = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                int n = i;
                results.add(pool.submit(() -> sandbox.exec(List.of("sh", "-c", "echo out-" + n + "; echo err-" + n + " >&2; exit " + (n % 7)),
                        Duration.ofSeconds(60))));
            }
            for (int i = 0; i < 100; i++) {
                ExecResult r = results.get(i).get();
                assertThat(r.stdout()).isEqualTo("out-" + i + "\n");
                assertThat(r.stderr()).isEqualTo("err-" + i + "\n");
                assertThat(r.exitCode()).isEqualTo(i % 7);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(sandbox.attributes()).containsEntry("exec.path", "channel");
    }

    @Test
    void aTimeoutKillsTheCommandsChildrenAndTheSandboxStaysUsable() {
        String marker = "devs-channel-timeout-" + System.nanoTime();
        assertThatThrownBy(() -> sandbox.exec(List.of("sh", "-c", "sleep 300 & echo $! > /tmp/" + marker + "; wait"),
                Duration.ofMillis(500)))
                .isInstanceOf(SandboxExecTimeoutException.class)
                .hasMessageContaining("killed");
        String pid = sandbox.exec("cat", "/tmp/" + marker).stdout().trim();
        assertThat(pid).isNotEmpty();
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(sandbox.exec("sh", "-c", "kill -0 " + pid).exitCode())
                .as("the background child of the timed-out command is gone").isNotZero());
        assertThat(sandbox.exec("echo", "still here").stdout()).isEqualTo("still here\n");
    }

    @Test
    void aBackgroundProcessTakesStdinAndSignals() throws Exception {
        try (SandboxProcess p = sandbox.start(ExecSpec.builder("cat").build())) {
            p.stdin().write("hello\n".getBytes(StandardCharsets.UTF_8));
            p.stdin().flush();
            byte[] line = p.stdout().readNBytes(6);
            assertThat(new String(line, StandardCharsets.UTF_8)).isEqualTo("hello\n");
            assertThat(p.isAlive()).isTrue();
            p.destroy();
            assertThat(p.waitFor(PATIENCE)).isTrue();
            assertThat(p.exitValue()).isEqualTo(143);
        }
    }

    @Test
    void theHostCanChooseTheEngine() {
        try (SandboxProvider engineOnly = SandboxProvider.of(DockerDriver.builder().execPath(DockerDriver.ExecPath.ENGINE).build())) {
            Sandbox sb = engineOnly.start(sleeper().build());
            assertThat(sb.exec("true").exitCode()).isZero();
            assertThat(sb.exec("true").exitCode()).isZero();
            assertThat(sb.attributes()).containsEntry("exec.path", "engine")
                    .containsEntry("exec.path.reason", "the host chose DockerDriver.ExecPath.ENGINE");
        }
    }
}
