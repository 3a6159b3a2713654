package dev.devs.sandbox.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.command.InspectContainerResponse;
import dev.devs.sandbox.ExecResult;
import dev.devs.sandbox.tck.RecordingListener;
import dev.devs.sandbox.Sandbox;
import dev.devs.sandbox.SandboxException;
import dev.devs.sandbox.SandboxLifecycleEvent;
import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.StopOutcome;
import dev.devs.sandbox.tck.Patience;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What a security reviewer checks in a sandbox, asserted from inside a real one on one OCI runtime; a subclass
 * per runtime ({@link RuncIsolationTest}, {@link RunscIsolationTest}), and one for sandboxes forked from a snapshot
 * ({@link RunscForkIsolationTest}): the same checks, only the way each sandbox is made differs. A runtime the engine has not registered
 * skips the class with the reason (which runtimes the engine has, and how to get the missing one), never silently.
 *
 * <p>Each check also records what it saw in {@code target/isolation/<runtime>.tsv}: the table published in
 * docs/security/isolation.md is made from those files.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(120)
@ExtendWith(SessionLeakCheck.class)
abstract class IsolationSuite {

    private static final long PIDS_LIMIT = 64;
    private static final long SMALL_MEMORY = 128L * 1024 * 1024;

    private final Map<String, String> table = new TreeMap<>();
    private final RecordingListener events = new RecordingListener();
    private SandboxProvider provider;
    private Sandbox sandbox;
    private String unavailable;

    /** The runtime under test, as the engine names it. */
    abstract String runtime();

    /** Which table the checks write ({@code target/isolation/<name>.tsv}). */
    String tableName() {
        return runtime();
    }

    /** Every sandbox a check uses comes from here: a fresh start, unless a subclass makes it otherwise. */
    Sandbox start(SandboxSpec spec) {
        return provider.start(spec);
    }

    /** The provider the sandboxes are started with. */
    SandboxProvider provider() {
        return provider;
    }

    @BeforeAll
    void startSandbox() {
        if (!IsolationImages.engineRuntimes().contains(runtime())) {
            // Skipped test by test in @BeforeEach, so that every check shows as skipped with this reason in the report.
            unavailable = "runtime '" + runtime() + "' is not registered with the Docker engine at "
                    + System.getenv().getOrDefault("DOCKER_HOST", DockerDriver.DEFAULT_DOCKER_HOST) + " (it has "
                    + IsolationImages.engineRuntimes() + "), so its isolation suite is skipped; scripts/test.sh registers"
                    + " runsc with an engine it starts itself (scripts/lib/env.sh)";
            return;
        }
        provider = SandboxProvider.builder(new DockerDriver()).listener(events).build();
        sandbox = start(spec().build());
    }

    @BeforeEach
    void skipWithTheReasonIfTheRuntimeIsMissing() {
        assumeThat(unavailable).as(unavailable).isNull();
    }

    @AfterAll
    void stopAndWriteTable() throws IOException {
        if (provider != null) {
            provider.close();
        }
        if (!table.isEmpty()) {
            Path dir = Path.of("target", "isolation");
            Files.createDirectories(dir);
            Files.write(dir.resolve(tableName() + ".tsv"), table.entrySet().stream()
                    .map(e -> e.getKey() + "\t" + e.getValue()).collect(Collectors.toList()));
        }
    }

    private SandboxSpec.Builder spec() {
        return DockerTestSupport.sleeper().runtime(runtime());
    }

    private void record(String check, String seen) {
        synchronized (table) {
            table.put(check, seen.replace('\t', ' ').replace('\n', ' ').strip());
        }
    }

    private static String sh(Sandbox s, String script) {
        ExecResult r = s.exec("sh", "-c", script);
        assertThat(r.exitCode()).as("exit code of %s (stderr %s)", script, r.stderr()).isZero();
        return r.stdout();
    }

    @Test
    void theSandboxRanOnTheRuntimeItAskedFor() {
        assertThat(sandbox.attributes()).containsEntry(SandboxSpec.RUNTIME_ATTRIBUTE, runtime());
        assertThat(events.events().stream().filter(e -> e instanceof SandboxLifecycleEvent.Ready).findFirst().orElseThrow()
                .attributes()).containsEntry(SandboxSpec.RUNTIME_ATTRIBUTE, runtime());
        InspectContainerResponse c = DockerTestSupport.api().inspectContainerCmd(sandbox.attributes().get("containerId")).exec();
        assertThat(c.getHostConfig().getRuntime()).as("the engine's HostConfig.Runtime").isEqualTo(runtime());
    }

    @Test
    void runsAsTheUnprivilegedUser() {
        assertThat(sh(sandbox, "id -u; id -g")).isEqualTo("65534\n65534\n");
        String mainUid = sh(sandbox, "awk '/^Uid:/{print $3}' /proc/1/status").strip();
        assertThat(mainUid).as("effective uid of PID 1").isEqualTo("65534");
        record("1 user", "uid 65534, gid 65534 (exec and PID 1)");
    }

    @Test
    void effectiveCapabilitiesAreZero() {
        Map<String, String> status = sh(sandbox, "cat /proc/self/status").lines().filter(l -> l.contains(":\t"))
                .collect(Collectors.toMap(l -> l.substring(0, l.indexOf(':')), l -> l.substring(l.indexOf('\t') + 1).strip(), (a, b) -> a));
        for (String set : List.of("CapPrm", "CapEff", "CapBnd")) {
            assertThat(status.get(set)).as(set).isEqualTo("0000000000000000");
        }
        assertThat(sandbox.exec("sh", "-c", "touch /tmp/mine && chown 0 /tmp/mine").exitCode()).as("chown to root").isNotZero();
        record("2 capabilities", "CapEff/CapPrm/CapBnd 0; chown refused; NoNewPrivs line: "
                + status.getOrDefault("NoNewPrivs", "absent") + "; Seccomp line: " + status.getOrDefault("Seccomp", "absent"));
    }

    @Test
    void onlyLoopbackAndNoRouteOut() {
        List<String> interfaces = sh(sandbox, "cat /proc/net/dev").lines().skip(2)
                .map(l -> l.substring(0, l.indexOf(':')).strip()).collect(Collectors.toList());
        assertThat(interfaces).as("interfaces in /proc/net/dev").containsExactly("lo");
        assertThat(sh(sandbox, "cat /proc/net/route").lines().skip(1)).as("IPv4 routes").isEmpty();
        ExecResult out = sandbox.exec("sh", "-c", "echo | nc -w 2 192.0.2.1 80");
        assertThat(out.exitCode()).as("connect to 192.0.2.1:80").isNotZero();
        // runc: "Network is unreachable" (no route at all); gVisor's netstack says "No route to host".
        assertThat(out.stderr()).as("why the connect failed").containsAnyOf("unreachable", "No route to host");
        record("3 network", "interfaces " + interfaces + ", no IPv4 route; connect out: " + out.stderr().strip());
    }

    /**
     * A declared port is reachable from the host through its endpoint while the sandbox keeps network none: no new
     * interface appears, and from inside it neither the host's listener for its own port nor another sandbox's
     * endpoint can be reached (127.0.0.1 inside is the sandbox's own loopback).
     */
    @Test
    void aDeclaredPortIsReachableFromTheHostAndTheSandboxStillReachesNothing() throws Exception {
        Sandbox a = start(spec().port(8080).build());
        Sandbox b = start(spec().port(8080).build());
        try {
            a.files().write("www/index.html", "served by a\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            a.start(dev.devs.sandbox.ExecSpec.builder("httpd", "-f", "-p", "127.0.0.1:8080", "-h", "/workspace/www").build());
            dev.devs.sandbox.SandboxEndpoint endpoint = a.endpoint(8080);
            dev.devs.sandbox.SandboxEndpoint other = b.endpoint(8080);
            assertThat(endpoint.address().getAddress().isLoopbackAddress()).as("endpoint %s is on loopback", endpoint).isTrue();
            java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
            String body = org.awaitility.Awaitility.await().atMost(DockerTestSupport.PATIENCE).ignoreExceptions()
                    .until(() -> http.send(java.net.http.HttpRequest.newBuilder(endpoint.url().resolve("/index.html")).build(),
                            java.net.http.HttpResponse.BodyHandlers.ofString()).body(), r -> r.equals("served by a\n"));
            assertThat(body).isEqualTo("served by a\n");

            List<String> interfaces = sh(a, "cat /proc/net/dev").lines().skip(2)
                    .map(l -> l.substring(0, l.indexOf(':')).strip()).collect(Collectors.toList());
            assertThat(interfaces).as("interfaces after the endpoint was used").containsExactly("lo");
            for (int hostPort : List.of(endpoint.address().getPort(), other.address().getPort())) {
                ExecResult r = a.exec("sh", "-c", "echo | nc -w 2 127.0.0.1 " + hostPort);
                assertThat(r.exitCode()).as("connect from inside to the host's listener port %s", hostPort).isNotZero();
            }
            ExecResult toB = a.exec("sh", "-c", "echo | nc -w 2 " + other.address().getAddress().getHostAddress() + " "
                    + other.address().getPort());
            assertThat(toB.exitCode()).as("connect from a to b's endpoint").isNotZero();
            record("3b ports", "host GET through endpoint " + endpoint.address() + " answered; inside: interfaces " + interfaces
                    + ", host listener ports and the other sandbox's endpoint refused (" + toB.stderr().strip() + ")");
        } finally {
            a.stop();
            b.stop();
        }
    }

    @Test
    void rootIsReadOnlyAndTheWorkDirWritable() {
        ExecResult root = sandbox.exec("sh", "-c", "echo x > /escape");
        assertThat(root.exitCode()).as("write to /").isNotZero();
        assertThat(sandbox.exec("test", "-e", "/escape").exitCode()).as("/escape exists").isNotZero();
        String rootMount = sh(sandbox, "awk '$2 == \"/\" {print $4}' /proc/mounts").strip();
        assertThat(rootMount.split(",")[0]).as("options of the root mount").isEqualTo("ro");
        assertThat(sh(sandbox, "echo w > /workspace/f && cat /workspace/f")).isEqualTo("w\n");
        record("4 file system", "root mounted ro (write: " + root.stderr().strip() + "); /workspace writable");
    }

    @Test
    void aSetuidBinaryGainsNothing() {
        IsolationImages.ensureSetuidImage();
        try (Sandbox s = start(spec().image(IsolationImages.SETUID_IMAGE).build())) {
            assertThat(sh(s, "stat -c %a:%u " + IsolationImages.SETUID_PROBE).strip()).as("probe mode and owner").isEqualTo("4755:0");
            int euid = s.exec(IsolationImages.SETUID_PROBE).exitCode();
            // 254 = 65534 mod 256: the effective uid stayed the caller's; 0 would mean the setuid bit made it root.
            assertThat(euid).as("exit code of the setuid-root probe (its effective uid mod 256)").isEqualTo(254);
            record("5 no-new-privileges", "setuid-root probe ran with euid 65534");
        }
    }

    @Test
    void theEngineSocketAndHostProcessesAreNotVisible() {
        String dockerHost = System.getenv().getOrDefault("DOCKER_HOST", DockerDriver.DEFAULT_DOCKER_HOST);
        String engineSocket = dockerHost.startsWith("unix://") ? dockerHost.substring("unix://".length()) : "/var/run/docker.sock";
        for (String socket : List.of("/var/run/docker.sock", "/run/docker.sock", engineSocket)) {
            assertThat(sandbox.exec("test", "-e", socket).exitCode()).as("%s exists in the sandbox", socket).isNotZero();
        }
        List<String> commands = sh(sandbox, "for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline; echo; done").lines()
                .map(String::strip).filter(l -> !l.isEmpty()).collect(Collectors.toList());
        assertThat(commands).as("processes seen inside").noneMatch(c -> c.contains("java") || c.contains("dockerd") || c.contains("containerd"));
        // A host's PID namespace shows hundreds of processes; a sandbox shows its own: the init, the watchdog and its
        // two watchers (with their cat and sleep), the command, the command channel's agent and this listing - more
        // on a fork, whose restored watchdog restarts its lifetime watcher. 20 leaves room for those, not for a host.
        assertThat(commands.size()).as("number of processes seen inside: %s", commands).isLessThan(20);
        record("6 host visibility", "no engine socket; " + commands.size() + " processes visible, all the sandbox's own");
    }

    @Test
    void theKernelSeenInsideIsTheRuntimes() {
        String kernel = sh(sandbox, "uname -r").strip();
        if (runtime().equals("runsc")) {
            assertThat(kernel).as("gVisor reports its own kernel version").isEqualTo("4.4.0");
        } else {
            assertThat(kernel).as("runc shares the host kernel").isEqualTo(System.getProperty("os.version"));
        }
        record("7 kernel", "uname -r " + kernel + (kernel.equals(System.getProperty("os.version")) ? " (the host's)" : " (not the host's "
                + System.getProperty("os.version") + ")"));
    }

    @Test
    void thePidsLimitHoldsUnderAForkLoopAndTheSandboxStillStops() throws Exception {
        // gVisor's own threads count against the host's pids limit (docs/security/isolation.md): at 64 the runtime
        // itself sometimes had no room left to start the command. 128 is still far below the loop's 300.
        long limit = runtime().equals("runsc") ? 2 * PIDS_LIMIT : PIDS_LIMIT;
        try (Sandbox s = start(spec().pidsLimit(limit).build())) {
            String seen;
            List<String> forkLoop = List.of("sh", "-c", "i=0; while [ $i -lt 300 ]; do sleep 300 & i=$((i+1)); done; ps | wc -l");
            if (runtime().equals("runsc")) {
                // The host's pids limit counts gVisor's own threads: when the loop reaches it the whole sandbox ends,
                // so the exec may fail with it. That end is the check: the loop did not run to 300 in a live sandbox.
                // The exec runs aside and is not waited for: with the sandbox gone it has been seen to hang until its
                // own timeout (runsc's wait for the process fails with EOF), which would only make this check slower.
                java.util.concurrent.CompletableFuture<String> loop = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                    try {
                        ExecResult r = s.exec(forkLoop, Patience.seconds(30));
                        return "loop exit " + r.exitCode() + ", " + firstLine(r.stderr());
                    } catch (SandboxException e) {
                        return "the exec failed: " + firstLine(e.getMessage());
                    }
                });
                await().atMost(DockerTestSupport.PATIENCE).until(() -> !s.isAlive());
                seen = loop.getNow("the exec had not returned") + "; the whole sandbox ended";
            } else {
                // runc: the limit refuses the forks past it and the sandbox lives on. The exec must work (no failure
                // swallowed) and say a fork was refused, which shows the loop really reached the limit.
                ExecResult r = s.exec(forkLoop, Patience.seconds(30));
                assertThat(r.stderr()).as("the fork loop's stderr").contains("can't fork");
                assertThat(s.isAlive()).as("sandbox alive after the fork loop").isTrue();
                // Counted from the host (docker top): inside, every slot is taken and nothing more can fork to count.
                String[][] top = DockerTestSupport.api().topContainerCmd(s.attributes().get("containerId")).exec().getProcesses();
                long processes = top == null ? 0 : top.length;
                assertThat(processes).as("processes of the sandbox after the fork loop").isBetween(1L, PIDS_LIMIT);
                seen = "loop exit " + r.exitCode() + ", " + firstLine(r.stderr()) + "; sandbox alive with " + processes + " processes";
            }
            long t0 = System.nanoTime();
            StopOutcome outcome = s.stop();
            record("8 pids limit " + PIDS_LIMIT, seen + "; stop " + outcome + " in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
        }
    }

    @Test
    void anAllocationOverTheMemoryLimitEndsInKilledWithOomSaid() throws Exception {
        Sandbox s = start(DockerTestSupport.sleeper().runtime(runtime()).memoryBytes(SMALL_MEMORY)
                .command("sh", "-c", "sleep 1; exec dd if=/dev/zero of=/dev/null bs=256M count=1").build());
        String containerId = s.attributes().get("containerId");
        // The engine removes a sandbox's container as soon as it exits (AutoRemove), so its OOMKilled flag cannot be
        // read afterwards: the engine's own "oom" event for the container says the same, and is watched from now on.
        java.util.concurrent.CountDownLatch oom = new java.util.concurrent.CountDownLatch(1);
        try (var events = DockerTestSupport.api().eventsCmd().withContainerFilter(containerId).withEventFilter("oom")
                .exec(new com.github.dockerjava.api.async.ResultCallback.Adapter<com.github.dockerjava.api.model.Event>() {
                    @Override
                    public void onNext(com.github.dockerjava.api.model.Event event) {
                        oom.countDown();
                    }
                })) {
            await().atMost(DockerTestSupport.PATIENCE).pollInterval(Duration.ofMillis(50)).until(() -> !s.isAlive());
            assertThat(s.stop()).as("stop outcome").isEqualTo(StopOutcome.KILLED);
            assertThat(oom.await(DockerTestSupport.PATIENCE.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)).as("the engine's oom event for the container").isTrue();
        }
        record("9 memory limit 128 MiB", "a 256 MiB allocation: the engine reported oom, KILLED");
    }

    private static String firstLine(String s) {
        return s == null || s.isBlank() ? "" : s.strip().lines().findFirst().orElse("");
    }
}
