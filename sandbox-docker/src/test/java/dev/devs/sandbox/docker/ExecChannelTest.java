package dev.devs.sandbox.docker;

import static dev.devs.sandbox.docker.DockerTestSupport.PATIENCE;
import static dev.devs.sandbox.docker.DockerTestSupport.sleeper;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.devs.sandbox.ExecResult;
import dev.devs.sandbox.ExecSpec;
import dev.devs.sandbox.Sandbox;
import dev.devs.sandbox.SandboxExecException;
import dev.devs.sandbox.SandboxExecTimeoutException;
import dev.devs.sandbox.SandboxProcess;
import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxSpec;
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
        String marker = "timeout-marker-" + System.nanoTime();
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
    void anInterruptedCommandFailsKeepsTheInterruptAndIsKilled() throws Exception {
        String marker = "/tmp/interrupt-marker-" + System.nanoTime();
        java.util.concurrent.atomic.AtomicReference<Throwable> thrown = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.atomic.AtomicBoolean interruptedAfter = new java.util.concurrent.atomic.AtomicBoolean();
        Thread caller = new Thread(() -> {
            try {
                sandbox.exec(List.of("sh", "-c", "echo $$ > " + marker + "; exec sleep 29"), Duration.ofSeconds(25));
            } catch (RuntimeException e) {
                thrown.set(e);
            }
            interruptedAfter.set(Thread.currentThread().isInterrupted());
        }, "exec-caller");
        caller.start();
        await().atMost(PATIENCE).until(() -> sandbox.exec("cat", marker).exitCode() == 0
                && !sandbox.exec("cat", marker).stdout().isBlank());
        String pid = sandbox.exec("cat", marker).stdout().trim();
        caller.interrupt();
        caller.join();
        assertThat(thrown.get()).isInstanceOf(dev.devs.sandbox.SandboxException.class)
                .hasMessageContaining("was interrupted").hasCauseInstanceOf(InterruptedException.class);
        assertThat(interruptedAfter).as("caller's interrupt status after the exec failed").isTrue();
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(sandbox.exec("sh", "-c", "kill -0 " + pid).exitCode())
                .as("the interrupted command was killed").isNotZero());
    }

    @Test
    void aKilledBackgroundProcessEndsWithItsChildren() throws Exception {
        try (SandboxProcess p = sandbox.start(ExecSpec.builder("sh", "-c", "sleep 287 & echo started; wait").build())) {
            assertThat(p.id()).startsWith("channel-");
            assertThat(new String(p.stdout().readNBytes(8), StandardCharsets.UTF_8)).isEqualTo("started\n");
            p.destroyForcibly();
            assertThat(p.waitFor(PATIENCE)).isTrue();
            assertThat(p.exitValue()).isEqualTo(137);
            await().atMost(PATIENCE).until(() -> sandbox.exec("ps", "-o", "args").stdout(), ps -> !ps.contains("sleep 287"));
        }
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
    void streamedOutputArrivesWholeInBoundedMemory() {
        // 64 MiB, far more than the channel lets wait unread (a window per process), counted as it streams.
        long[] count = new long[1];
        java.io.OutputStream counter = new java.io.OutputStream() {
            @Override
            public void write(int b) {
                count[0]++;
            }

            @Override
            public void write(byte[] b, int off, int len) {
                count[0] += len;
            }
        };
        int code = sandbox.exec(ExecSpec.builder("sh", "-c", "head -c 67108864 /dev/zero; echo done >&2").build(), counter,
                new ByteArrayOutputStream());
        assertThat(code).isZero();
        assertThat(count[0]).isEqualTo(64L * 1024 * 1024);
    }

    @Test
    void theAgentLeavesNoFileToReplace() {
        // The agent unlinks the file it ran from: a command cannot overwrite what runs the channel.
        ExecResult r = sandbox.exec("sh", "-c", "ls -a /tmp | grep .devs-channel; exit 0");
        assertThat(r.stdout()).isEmpty();
    }

    @Test
    void closingTheChannelKillsEveryCommandItStarted() throws Exception {
        try (SandboxProvider own = SandboxProvider.of(new DockerDriver())) {
            Sandbox sb = own.start(sleeper().build());
            awaitChannel(sb);
            String pid = sb.exec("sh", "-c", "sleep 300 >/dev/null 2>&1 & echo $!").stdout().trim();
            assertThat(sb.exec("sh", "-c", "kill -0 " + pid).exitCode()).as("the background command runs").isZero();
            // What the owner's death does to the channel's connection: the agent reads end of file.
            surfaceOf(sb).channel().close();
            assertThat(sb.attributes()).containsEntry("exec.path", "engine");
            await().atMost(PATIENCE).untilAsserted(() -> assertThat(sb.exec("sh", "-c", "kill -0 " + pid).exitCode())
                    .as("the agent killed the process group it started").isNotZero());
        }
    }

    @Test
    void aCommandThatKillsTheAgentCannotOutliveMaxLifetime() {
        try (SandboxProvider own = SandboxProvider.of(new DockerDriver())) {
            Sandbox sb = own.start(sleeper().maxLifetime(Duration.ofSeconds(15)).build());
            awaitChannel(sb);
            // A command that kills the channel's agent (its parent) and leaves a child behind.
            assertThatThrownBy(() -> sb.exec(List.of("sh", "-c", "sleep 600 >/dev/null 2>&1 & kill -9 $PPID"), Duration.ofSeconds(30)))
                    .isInstanceOf(SandboxExecException.class).hasMessageContaining("cut off");
            await().atMost(PATIENCE).untilAsserted(() -> assertThat(sb.attributes()).containsEntry("exec.path", "engine")
                    .hasEntrySatisfying("exec.path.reason", why -> assertThat(why).contains("ended")));
            // The sandbox, and the child with it, still ends at maxLifetime: the watchdog is out of the channel's reach.
            await().atMost(Duration.ofSeconds(15).plus(PATIENCE)).untilAsserted(() ->
                    assertThat(DockerTestSupport.containersLabelled(dev.devs.sandbox.ResourceLabels.SANDBOX_ID, sb.id()))
                            .as("the sandbox is gone at maxLifetime").isEmpty());
        }
    }

    /** The surface behind a sandbox, to end its channel as the owner's death would. */
    static ContainerSurface surfaceOf(Sandbox sb) throws ReflectiveOperationException {
        java.lang.reflect.Field handle = Sandbox.class.getDeclaredField("handle");
        handle.setAccessible(true);
        java.lang.reflect.Field surface = ContainerHandle.class.getDeclaredField("surface");
        surface.setAccessible(true);
        return (ContainerSurface) surface.get(handle.get(sb));
    }

    @Test
    void whenTheAgentCannotStartTheEngineRunsCommandsAndSaysWhy() {
        try (SandboxProvider own = SandboxProvider.of(new DockerDriver())) {
            // A sandbox whose PATH leads to no shell: the channel's bootstrap cannot run.
            Sandbox sb = own.start(SandboxSpec.builder(DockerTestSupport.TINY_IMAGE).command("/bin/sleep", "600")
                    .env("PATH", "/nowhere").build());
            assertThat(sb.exec("/bin/true").exitCode()).isZero();
            await().atMost(PATIENCE).untilAsserted(() -> assertThat(sb.attributes()).containsEntry("exec.path", "engine")
                    .hasEntrySatisfying("exec.path.reason", why -> assertThat(why).contains("could not start").contains("sh")));
            assertThat(sb.exec("/bin/echo", "by the engine").stdout()).isEqualTo("by the engine\n");
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
