package dev.devs.sandbox.tck;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.devs.sandbox.ExecResult;
import dev.devs.sandbox.ExecSpec;
import dev.devs.sandbox.FileInfo;
import dev.devs.sandbox.Sandbox;
import dev.devs.sandbox.SandboxCapability;
import dev.devs.sandbox.SandboxCapabilityException;
import dev.devs.sandbox.SandboxEndpoint;
import dev.devs.sandbox.SandboxFileException;
import dev.devs.sandbox.SandboxProcess;
import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.SandboxTerminal;
import dev.devs.sandbox.spi.SandboxDriver;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The working-surface half of the driver contract: what a host does with a ready sandbox (docs/guide/working-surface.md).
 * {@link SandboxDriverContract} extends it, so every driver's contract test runs it.
 *
 * <p>Each check needs one {@link SandboxCapability}; where the driver does not declare it, the check is skipped with
 * a reason naming the driver and the capability. Whatever a driver declares, {@link #undeclaredCapabilitiesAreRefusedBeforeAnythingIsDone()}
 * calls every method it does not declare and sees it refused with {@link SandboxCapabilityException}, without a single
 * call reaching the driver's handle. The commands used are POSIX shell ({@code sh -c}); a driver whose sandboxes have no
 * {@code sh} declares no process capability or overrides {@link #shell(String)}.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
public abstract class WorkingSurfaceContract {

    private static final Duration PATIENCE = Patience.seconds(30);

    /** Providers this class made for one check (the refusal check's recording one); closed after the check. */
    private final List<SandboxProvider> own = new ArrayList<>();
    private final List<String> reached = new ArrayList<>();

    /** A new driver; the provider made from it owns and closes it. */
    protected abstract SandboxDriver newDriver() throws Exception;

    /** A spec that starts a sandbox running until it is stopped. */
    protected abstract SandboxSpec runningSpec();

    /** A command running {@code script} in the sandbox's POSIX shell. */
    protected List<String> shell(String script) {
        return List.of("sh", "-c", script);
    }

    /**
     * A command that serves HTTP on {@code port} inside a sandbox, answering {@code GET /} with a body containing
     * {@code marker}; it may write files under the working directory first. Null (the default) skips the port check.
     */
    protected List<String> httpServer(int port, String marker) {
        return null;
    }

    /** The port {@link #httpServer} listens on; declared in the spec of the port check. */
    protected int serverPort() {
        return 8080;
    }

    /**
     * The provider the checks start their sandboxes with. {@link SandboxDriverContract} gives its own, so that its
     * cleanup checks cover these sandboxes too and no second driver (a second browser) runs beside it; a suite used
     * alone gets a provider of its own per check.
     */
    protected SandboxProvider surfaceProvider() throws Exception {
        SandboxProvider p = SandboxProvider.of(newDriver());
        own.add(p);
        return p;
    }

    @AfterEach
    void closeOwnProviders() {
        own.forEach(SandboxProvider::close);
        own.clear();
    }

    private SandboxProvider surface;

    private Sandbox start(SandboxSpec spec) throws Exception {
        if (surface == null) {
            surface = surfaceProvider();
        }
        return surface.start(spec);
    }

    private static void need(Sandbox s, SandboxCapability c) {
        assumeThat(s.capabilities()).as("the %s driver does not declare %s, so this check is skipped", s.driver(), c).contains(c);
    }

    @Test
    void theDriverAndItsSandboxesDeclareTheSameCapabilities() throws Exception {
        SandboxDriver driver = newDriver();
        Set<SandboxCapability> declared;
        try {
            declared = driver.capabilities();
        } finally {
            driver.close();
        }
        Sandbox s = start(runningSpec());
        assertThat(s.capabilities()).isEqualTo(declared).contains(SandboxCapability.EXEC);
    }

    @Test
    void undeclaredCapabilitiesAreRefusedBeforeAnythingIsDone() throws Exception {
        // Closed within the check, so that a subclass's own after-each leak checks find this sandbox gone too.
        try (SandboxProvider recording = SandboxProvider.of(new RecordingDriver(newDriver(), reached))) {
            Sandbox s = recording.start(runningSpec().toBuilder().port(serverPort()).build());
            Set<SandboxCapability> missing = EnumSet.allOf(SandboxCapability.class);
            missing.removeAll(s.capabilities());
            assumeThat(missing).as("the %s driver declares every capability: nothing to refuse", s.driver()).isNotEmpty();
            for (SandboxCapability c : missing) {
                assertThatThrownBy(() -> call(s, c)).as("calling %s", c).isInstanceOfSatisfying(SandboxCapabilityException.class, e -> {
                    assertThat(e.driver()).isEqualTo(s.driver());
                    assertThat(e.capability()).isEqualTo(c);
                    assertThat(e.getMessage()).contains(s.driver()).contains(c.name());
                });
            }
            assertThat(reached).as("calls that reached the driver's handle although refused").isEmpty();
            assertThat(s.isAlive()).isTrue();
        }
    }

    /** One call needing exactly {@code c} (and the capabilities every sandbox has). */
    private static void call(Sandbox s, SandboxCapability c) throws Exception {
        switch (c) {
            case EXEC -> s.exec("true");
            case EXEC_STREAMING -> s.exec(ExecSpec.builder("true").build(), OutputStream.nullOutputStream(), OutputStream.nullOutputStream());
            case EXEC_STDIN -> {
                if (s.capabilities().contains(SandboxCapability.EXEC_STREAMING)) {
                    s.exec(ExecSpec.builder("true").stdin(new byte[1]).build());
                } else {
                    throw new SandboxCapabilityException(s.driver(), c, s.driver() + " " + c + " (checked with EXEC_STREAMING)");
                }
            }
            case PROCESSES -> s.start(ExecSpec.builder("true").build());
            case SIGNALS -> {
                if (s.capabilities().contains(SandboxCapability.PROCESSES)) {
                    try (SandboxProcess p = s.start(ExecSpec.builder("sleep", "30").build())) {
                        p.signal("TERM");
                    }
                } else {
                    throw new SandboxCapabilityException(s.driver(), c, s.driver() + " " + c + " (checked with PROCESSES)");
                }
            }
            case TERMINAL -> s.openTerminal(ExecSpec.builder("sh").build(), 80, 24);
            case FILE_READ -> s.files().read("contract-refused");
            case FILE_WRITE -> s.files().write("contract-refused", new byte[1]);
            case FILE_LIST -> s.files().list(".");
            case FILE_MANAGE -> s.files().mkdirs("contract-refused-dir");
            case TREE_COPY -> s.files().openTar(".");
            case PORTS -> s.endpoint(8080);
            case PAUSE -> s.pause();
            case SNAPSHOT -> s.checkpoint();
        }
    }

    @Test
    void streamingExecDeliversStdoutAndStderrApartWithTheExitCode() throws Exception {
        Sandbox s = start(runningSpec());
        need(s, SandboxCapability.EXEC_STREAMING);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = s.exec(ExecSpec.builder(shell("echo out; echo err >&2; exit 3")).build(), out, err);
        assertThat(code).isEqualTo(3);
        assertThat(out.toString(UTF_8)).isEqualTo("out\n");
        assertThat(err.toString(UTF_8)).isEqualTo("err\n");
        ExecResult merged = s.exec(ExecSpec.builder(shell("echo out; echo err >&2")).redirectErrorStream(true).build());
        assertThat(merged.stdout()).contains("out\n").contains("err\n");
        assertThat(merged.stderr()).isEmpty();
    }

    @Test
    void stdinIsFedAndEndedWithEndOfFile() throws Exception {
        Sandbox s = start(runningSpec());
        need(s, SandboxCapability.EXEC_STDIN);
        ExecResult r = s.exec(ExecSpec.builder(shell("cat; echo end")).stdin(new ByteArrayInputStream("piped\n".getBytes(UTF_8))).build());
        assertThat(r.stdout()).isEqualTo("piped\nend\n");
    }

    @Test
    void aBackgroundProcessHasAHandleWithStreamsStdinAndExitCode() throws Exception {
        Sandbox s = start(runningSpec());
        need(s, SandboxCapability.PROCESSES);
        try (SandboxProcess p = s.start(ExecSpec.builder(shell("read line; echo got-$line; exit 7")).build())) {
            assertThat(p.id()).isNotBlank();
            assertThat(p.waitFor(Duration.ofMillis(50))).as("waiting for its stdin").isFalse();
            assertThat(p.isAlive()).isTrue();
            p.stdin().write("x\n".getBytes(UTF_8));
            p.stdin().close();
            assertThat(p.waitFor(PATIENCE)).isTrue();
            assertThat(p.exitValue()).isEqualTo(7);
            assertThat(new String(p.stdout().readAllBytes(), UTF_8)).isEqualTo("got-x\n");
        }
    }

    @Test
    void aKilledProcessEndsWithItsChildren() throws Exception {
        Sandbox s = start(runningSpec());
        need(s, SandboxCapability.SIGNALS);
        try (SandboxProcess p = s.start(ExecSpec.builder(shell("sleep 287 & echo started; wait")).build())) {
            byte[] started = p.stdout().readNBytes(8);
            assertThat(new String(started, UTF_8)).isEqualTo("started\n");
            p.destroyForcibly();
            assertThat(p.waitFor(PATIENCE)).isTrue();
            // Its child goes with it (a zombie may linger until init reaps it, so look until it has gone).
            org.awaitility.Awaitility.await().atMost(PATIENCE)
                    .until(() -> s.exec(shell("ps -o args 2>/dev/null || ps"), PATIENCE).stdout(), ps -> !ps.contains("sleep 287"));
        }
    }

    @Test
    void aProcessEndsWithItsSandboxAndItsHandleSaysSo() throws Exception {
        Sandbox s = start(runningSpec());
        need(s, SandboxCapability.PROCESSES);
        SandboxProcess p = s.start(ExecSpec.builder(shell("sleep 289")).build());
        s.stop();
        assertThat(p.isAlive()).isFalse();
        assertThatThrownBy(() -> p.waitFor(Duration.ofSeconds(1))).hasMessageContaining(s.id());
    }

    @Test
    void aTerminalAnswersAsATerminalAndFollowsAResize() throws Exception {
        Sandbox s = start(runningSpec());
        need(s, SandboxCapability.TERMINAL);
        try (SandboxTerminal t = s.openTerminal(ExecSpec.builder(shell("exec sh")).build(), 80, 24)) {
            t.stdin().write("tty; stty size\n".getBytes(UTF_8));
            t.stdin().flush();
            StringBuilder seen = new StringBuilder();
            readUntil(t.stdout(), seen, "24 80");
            assertThat(seen.toString()).contains("/dev/");
            t.resize(120, 30);
            t.stdin().write("stty size\n".getBytes(UTF_8));
            t.stdin().flush();
            readUntil(t.stdout(), seen, "30 120");
        }
    }

    private static void readUntil(InputStream in, StringBuilder seen, String wanted) throws Exception {
        byte[] buf = new byte[4096];
        while (!seen.toString().contains(wanted)) {
            int n = in.read(buf);
            assertThat(n).as("terminal output so far: %s", seen).isPositive();
            seen.append(new String(buf, 0, n, UTF_8));
        }
    }

    @Test
    void filesAreWrittenAndReadBack() throws Exception {
        Sandbox s = start(runningSpec());
        need(s, SandboxCapability.FILE_WRITE);
        need(s, SandboxCapability.FILE_READ);
        byte[] binary = new byte[256 * 1024];
        for (int i = 0; i < binary.length; i++) {
            binary[i] = (byte) i;
        }
        s.files().write("contract/in/data.bin", binary);
        assertThat(s.files().read("contract/in/data.bin")).isEqualTo(binary);
        try (InputStream in = s.files().openRead("contract/in/data.bin")) {
            assertThat(in.readAllBytes()).isEqualTo(binary);
        }
        assertThatThrownBy(() -> s.files().read("contract/absent")).isInstanceOfSatisfying(SandboxFileException.class, e -> {
            assertThat(e.reason()).isEqualTo(SandboxFileException.Reason.NOT_FOUND);
            assertThat(e.getMessage()).contains("contract/absent");
        });
    }

    @Test
    void directoriesAreListedAndPathsStatted() throws Exception {
        Sandbox s = start(runningSpec());
        need(s, SandboxCapability.FILE_LIST);
        need(s, SandboxCapability.FILE_WRITE);
        s.files().write("listed/b.txt", "bb".getBytes(UTF_8));
        s.files().write("listed/a/inner", new byte[0]);
        List<FileInfo> entries = s.files().list("listed");
        assertThat(entries).extracting(FileInfo::name).containsExactly("a", "b.txt");
        assertThat(entries.get(0).type()).isEqualTo(FileInfo.Type.DIRECTORY);
        assertThat(entries.get(1).size()).isEqualTo(2);
        assertThat(s.files().stat("listed/b.txt").isFile()).isTrue();
        assertThatThrownBy(() -> s.files().list("listed/b.txt")).isInstanceOfSatisfying(SandboxFileException.class,
                e -> assertThat(e.reason()).isEqualTo(SandboxFileException.Reason.NOT_A_DIRECTORY));
    }

    @Test
    void pathsAreMadeRenamedAndDeleted() throws Exception {
        Sandbox s = start(runningSpec());
        need(s, SandboxCapability.FILE_MANAGE);
        need(s, SandboxCapability.FILE_WRITE);
        need(s, SandboxCapability.FILE_READ);
        s.files().mkdirs("managed/deep/er");
        s.files().write("managed/deep/er/f", "f".getBytes(UTF_8));
        s.files().rename("managed/deep/er/f", "managed/g");
        assertThat(s.files().read("managed/g")).isEqualTo("f".getBytes(UTF_8));
        s.files().delete("managed", true);
        assertThatThrownBy(() -> s.files().read("managed/g")).isInstanceOfSatisfying(SandboxFileException.class,
                e -> assertThat(e.reason()).isEqualTo(SandboxFileException.Reason.NOT_FOUND));
    }

    @Test
    void aTreeGoesInAndComesOutWithItsModes(@TempDir Path host) throws Exception {
        Sandbox s = start(runningSpec());
        need(s, SandboxCapability.TREE_COPY);
        Path src = Files.createDirectories(host.resolve("in/sub"));
        Files.writeString(src.resolve("x.sh"), "echo x\n");
        boolean posix = src.getFileSystem().supportedFileAttributeViews().contains("posix");
        if (posix) {
            Files.setPosixFilePermissions(src.resolve("x.sh"), java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-x---"));
        }
        s.files().copyIn(host.resolve("in"), "tree");
        s.files().copyOut("tree", host.resolve("out"));
        assertThat(Files.readString(host.resolve("out/sub/x.sh"))).isEqualTo("echo x\n");
        if (posix) {
            assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(host.resolve("out/sub/x.sh"))))
                    .isEqualTo("rwxr-x---");
        }
    }

    @Test
    void aDeclaredPortIsReachableFromTheHost() throws Exception {
        List<String> server = httpServer(serverPort(), "contract-served");
        assumeThat(server).as("this driver's contract test gives no HTTP server command, so the port check is skipped").isNotNull();
        Sandbox s = start(runningSpec().toBuilder().port(serverPort()).build());
        need(s, SandboxCapability.PORTS);
        need(s, SandboxCapability.PROCESSES);
        s.start(ExecSpec.builder(server).build());
        SandboxEndpoint e = s.endpoint(serverPort());
        // The server may not listen yet: the relay closes such a connection at once, so ask until it answers.
        String answer = org.awaitility.Awaitility.await().atMost(PATIENCE).until(() -> get(e), a -> a.contains("contract-served"));
        assertThat(answer).contains("contract-served");
        assertThatThrownBy(() -> s.endpoint(serverPort() + 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(String.valueOf(serverPort() + 1));
    }

    private static String get(SandboxEndpoint e) {
        try (Socket socket = new Socket()) {
            socket.connect(e.address(), 5000);
            socket.setSoTimeout(5000);
            socket.getOutputStream().write("GET / HTTP/1.0\r\nHost: sandbox\r\n\r\n".getBytes(UTF_8));
            socket.getOutputStream().flush();
            return new String(socket.getInputStream().readAllBytes(), UTF_8);
        } catch (java.io.IOException ex) {
            return "";
        }
    }
}
