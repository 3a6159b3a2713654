package dev.devs.sandbox.docker;

import dev.devs.sandbox.ResourceLabels;
import dev.devs.sandbox.tck.Patience;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A Docker engine of the test's own: a dockerd on a socket, data root, exec root and pidfile of its own (no
 * bridge, no iptables, so it cannot clash with the shared engine's networking), which the test may stop and
 * start at will. It is never the shared engine. Needs root and dockerd; without them the test is skipped,
 * saying why. Stopped by its PID.
 */
final class PrivateEngine implements AutoCloseable {

    private final Path dir;
    private final boolean liveRestore;
    private final boolean checkpoints;
    private Process dockerd;

    private PrivateEngine(Path dir, boolean liveRestore, boolean checkpoints) {
        this.dir = dir;
        this.liveRestore = liveRestore;
        this.checkpoints = checkpoints;
    }

    /** Starts one, loads the tiny image into it from the shared engine, or skips the test with the reason. */
    static PrivateEngine startOrSkip() throws Exception {
        return startOrSkip(false);
    }

    /**
     * As {@link #startOrSkip()}; with {@code liveRestore} the engine keeps containers running while it is down
     * and finds them again when it starts ({@code --live-restore}), as production engines are often set up.
     */
    static PrivateEngine startOrSkip(boolean liveRestore) throws Exception {
        return startOrSkip(liveRestore, false, List.of(DockerTestSupport.TINY_IMAGE));
    }

    /**
     * A private engine that can checkpoint: experimental features on and gVisor's {@code runsc} registered (with
     * {@code --network=none}, as the scripts register it), loaded with {@code images} from the shared engine. Skips
     * the test, saying why, without root, dockerd or runsc.
     */
    static PrivateEngine startCheckpointingOrSkip(List<String> images) throws Exception {
        Assumptions.assumeTrue(onPath("runsc"), "skipped: no runsc on PATH, and only gVisor can checkpoint here");
        return startOrSkip(false, true, images);
    }

    private static PrivateEngine startOrSkip(boolean liveRestore, boolean checkpoints, List<String> images) throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
                "skipped: this test needs a dockerd of its own, and starting one needs root");
        Assumptions.assumeTrue(onPath("dockerd"), "skipped: no dockerd on PATH to start a private engine with");
        // Short: a Unix socket path is limited to 108 bytes.
        PrivateEngine engine = new PrivateEngine(Files.createTempDirectory(Path.of("/tmp"), "devs-pe-"), liveRestore, checkpoints);
        engine.start();
        for (String image : images) {
            Process load = new ProcessBuilder("sh", "-c", "docker save " + image + " | docker -H " + engine.host() + " load")
                    .redirectErrorStream(true).start();
            if (!load.waitFor(120, TimeUnit.SECONDS) || load.exitValue() != 0) {
                engine.close();
                throw new IllegalStateException("loading " + image + " into the private engine failed: "
                        + new String(load.getInputStream().readAllBytes()));
            }
        }
        return engine;
    }

    String host() {
        return "unix://" + dir.resolve("docker.sock");
    }

    /** Its data root, where it keeps a folder per container (and there, the checkpoints a fork restores). */
    Path dataRoot() {
        return dir.resolve("data");
    }

    void start() throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("dockerd", "--data-root", dir.resolve("data").toString(),
                "--exec-root", dir.resolve("exec").toString(), "--pidfile", dir.resolve("dockerd.pid").toString(), "-H", host(),
                "--bridge", "none", "--iptables=false", "--ip-masq=false"));
        if (liveRestore) {
            command.add("--live-restore");
        }
        if (checkpoints) {
            Path config = dir.resolve("daemon.json");
            Files.writeString(config, "{\"experimental\": true, \"runtimes\": {\"runsc\": {\"path\": \""
                    + which("runsc") + "\", \"runtimeArgs\": [\"--network=none\"]}}}\n");
            command.addAll(List.of("--config-file", config.toString()));
        }
        dockerd = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("dockerd.log").toFile())).start();
        Duration limit = Patience.seconds(30);
        try {
            org.awaitility.Awaitility.await("the private dockerd to answer").atMost(limit).pollInterval(Duration.ofMillis(100))
                    .until(() -> {
                        if (!dockerd.isAlive()) {
                            throw new IllegalStateException("the private dockerd exited: " + Files.readString(dir.resolve("dockerd.log")));
                        }
                        Process info = new ProcessBuilder("docker", "-H", host(), "info").redirectErrorStream(true)
                                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                        return info.waitFor(5, TimeUnit.SECONDS) && info.exitValue() == 0;
                    });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new IllegalStateException("the private dockerd did not answer within " + limit, e);
        }
    }

    /** SIGTERM to its PID, as an engine is stopped for an upgrade or restart; waits for it to exit. */
    void stop() throws InterruptedException {
        if (dockerd != null && dockerd.isAlive()) {
            dockerd.destroy();
            if (!dockerd.waitFor(30, TimeUnit.SECONDS)) {
                dockerd.destroyForcibly();
                dockerd.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /** SIGSTOP to its PID: the engine keeps its sockets open and answers nothing, as a hung engine does. */
    void freeze() throws Exception {
        signal("-STOP");
    }

    /** SIGCONT to its PID, after {@link #freeze()}. */
    void thaw() throws Exception {
        signal("-CONT");
    }

    private void signal(String signal) throws Exception {
        Process kill = new ProcessBuilder("kill", signal, Long.toString(dockerd.pid())).redirectErrorStream(true).start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IllegalStateException("kill " + signal + " " + dockerd.pid() + " failed: " + new String(kill.getInputStream().readAllBytes()));
        }
    }

    /** Lines of {@code docker ps -a} on this engine for containers labelled as managed. */
    List<String> managedContainers() throws Exception {
        Process ps = new ProcessBuilder("docker", "-H", host(), "ps", "-aq", "--filter", "label=" + ResourceLabels.MANAGED + "=true").start();
        ps.waitFor(20, TimeUnit.SECONDS);
        return new String(ps.getInputStream().readAllBytes()).lines().filter(l -> !l.isBlank()).toList();
    }

    /** Removes every container of this engine (with live restore they survive its stops), then stops it. */
    @Override
    public void close() throws Exception {
        if (dockerd != null && dockerd.isAlive()) {
            thaw(); // a frozen engine neither removes its containers nor stops
            new ProcessBuilder("sh", "-c", "docker -H " + host() + " ps -aq | xargs -r docker -H " + host() + " rm -fv")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(60, TimeUnit.SECONDS);
        }
        stop();
        // dockerd may leave its data root bind-mounted on itself; unmounted first, or rm cannot remove it.
        new ProcessBuilder("sh", "-c", "umount " + dir.resolve("data") + " 2>/dev/null; rm -rf " + dir).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(60, TimeUnit.SECONDS);
    }

    private static String which(String program) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(d, program))) {
                return Path.of(d, program).toString();
            }
        }
        throw new IllegalStateException(program + " is not on PATH");
    }

    private static boolean onPath(String program) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(d, program))) {
                return true;
            }
        }
        return false;
    }
}
