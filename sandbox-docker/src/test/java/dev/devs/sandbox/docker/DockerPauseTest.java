package dev.devs.sandbox.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import dev.devs.sandbox.Sandbox;
import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.StopOutcome;
import dev.devs.sandbox.tck.Patience;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link Sandbox#pause()} and {@link Sandbox#resume()} on a real engine, with runc and with runsc: every process of a
 * paused sandbox is stopped (so it uses no CPU) and goes on from where it was after the resume, with its memory; a
 * paused sandbox refuses execs, stops politely, and still ends at its maximum lifetime. The owner's death is
 * {@link PausedOwnerDeathTest}'s. The sandbox's processes are read with the tests' own {@code docker exec}, which a
 * paused sandbox's {@code exec} would refuse.
 */
@Timeout(120)
@ExtendWith(SessionLeakCheck.class)
class DockerPauseTest {

    /** A shell counting in its own memory and publishing the count (atomically, by rename) in a file. */
    private static final String COUNTER = "i=0; while :; do i=$((i+1)); echo $i > /tmp/n.new; mv /tmp/n.new /tmp/n; done";

    private static SandboxSpec counter(String runtime) {
        return SandboxSpec.builder(DockerTestSupport.TINY_IMAGE).runtime(runtime).command("sh", "-c", COUNTER).build();
    }

    private static void assumeRuntime(String runtime) {
        assumeThat(IsolationImages.engineRuntimes()).as("runtime '%s' is not registered with the engine under test", runtime)
                .contains(runtime);
    }

    @ParameterizedTest
    @ValueSource(strings = {"runc", "runsc"})
    void pauseStopsEveryProcessButTheWatchdogsAndResumeGoesOnFromWhereItWas(String runtime) {
        assumeRuntime(runtime);
        try (SandboxProvider provider = SandboxProvider.of(new DockerDriver());
             Sandbox sb = provider.start(counter(runtime))) {
            String container = sb.attributes().get("containerId");
            await().atMost(DockerTestSupport.PATIENCE).until(() -> count(container) > 0);

            sb.pause();

            assertThat(sb.isPaused()).isTrue();
            assertThat(sb.isAlive()).as("a paused sandbox is alive").isTrue();
            List<String> running = runningProcessesBesidesTheWatchdog(container);
            assertThat(running).as("processes of the paused sandbox not stopped (pid, state, name)").isEmpty();
            long frozen = count(container);
            // No CPU: the count does not move while paused (a condition held for a while, not a sleep).
            await().during(Duration.ofMillis(700)).atMost(Patience.seconds(5)).until(() -> count(container) == frozen);

            sb.resume();

            assertThat(sb.isPaused()).isFalse();
            // Memory kept: the same shell counts on from its own variable, past where it was stopped.
            await().atMost(DockerTestSupport.PATIENCE).until(() -> count(container) > frozen);
            assertThat(sb.exec("sh", "-c", "echo resumed").stdout()).isEqualTo("resumed\n");
        }
    }

    @Test
    void aPausedSandboxRefusesExecAndFilesUntilResumedAndPausingTwiceIsHarmless() {
        try (SandboxProvider provider = SandboxProvider.of(new DockerDriver());
             Sandbox sb = provider.start(DockerTestSupport.sleeper().build())) {
            sb.pause();
            sb.pause();
            assertThatThrownBy(() -> sb.exec("true")).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(sb.id()).hasMessageContaining("is paused").hasMessageContaining("resume()");
            assertThatThrownBy(() -> sb.writeFile("a.txt", new byte[] {1})).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("is paused");
            sb.resume();
            sb.resume();
            sb.writeFile("a.txt", "after".getBytes(StandardCharsets.UTF_8));
            assertThat(sb.exec("cat", "a.txt").stdout()).isEqualTo("after");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"runc", "runsc"})
    void aPausedSandboxStopsPolitelyAndLeavesNothing(String runtime) {
        assumeRuntime(runtime);
        try (SandboxProvider provider = SandboxProvider.of(new DockerDriver())) {
            Sandbox sb = provider.start(counter(runtime));
            sb.pause();
            // SIGTERM is forwarded to the command and what the pause stopped is let go, so the shell ends on it.
            assertThat(sb.stop()).isEqualTo(StopOutcome.STOPPED);
            DockerTestSupport.assertNothingLeftOf(sb.id());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"runc", "runsc"})
    void aPausedSandboxStillEndsAtItsMaximumLifetime(String runtime) {
        assumeRuntime(runtime);
        try (SandboxProvider provider = SandboxProvider.of(new DockerDriver())) {
            Sandbox sb = provider.start(SandboxSpec.builder(DockerTestSupport.TINY_IMAGE).runtime(runtime)
                    .command("sh", "-c", COUNTER).maxLifetime(Duration.ofSeconds(3)).build());
            sb.pause();
            long t0 = System.nanoTime();
            await().atMost(DockerTestSupport.PATIENCE).until(() -> !sb.isAlive());
            DockerTestSupport.timing("paused sandbox ended by its 3 s lifetime", Duration.ofNanos(System.nanoTime() - t0), runtime);
            await().atMost(DockerTestSupport.PATIENCE).untilAsserted(() -> DockerTestSupport.assertNothingLeftOf(sb.id()));
        }
    }

    /** The count the sandbox's shell last published, 0 before the first. */
    private static long count(String container) {
        List<String> out = DockerTestSupport.cli("exec", container, "cat", "/tmp/n");
        return out.isEmpty() ? 0 : Long.parseLong(out.get(0));
    }

    /**
     * "pid state name" of every process of the container that is neither stopped (T, or ended: Z) nor the watchdog's (the init,
     * the watchdog shell, its two watchers and their cat and sleep), nor the exec reading them.
     */
    static List<String> runningProcessesBesidesTheWatchdog(String container) {
        // Each line: pid (comm) state ppid ...; the exec's own shell and cat are the ones whose pid is $$ or its child.
        List<String> lines = DockerTestSupport.cli("exec", container, "sh", "-c",
                "for d in /proc/[0-9]*; do read -r l < $d/stat && echo \"$$ $l\"; done");
        List<Proc> procs = new ArrayList<>();
        for (String line : lines) {
            String[] head = line.split(" ", 3);
            String self = head[0];
            String rest = head[2];
            String comm = rest.substring(rest.indexOf('(') + 1, rest.lastIndexOf(')'));
            String[] f = rest.substring(rest.lastIndexOf(')') + 2).split(" ");
            procs.add(new Proc(head[1], comm, f[0], f[1], self));
        }
        String watchdog = procs.stream().filter(p -> p.ppid.equals("1") && p.comm.equals("sh")).map(p -> p.pid).findFirst().orElse("?");
        List<String> watchers = procs.stream().filter(p -> p.ppid.equals(watchdog) && p.comm.equals("sh") && !p.state.equals("T"))
                .map(p -> p.pid).toList();
        List<String> left = new ArrayList<>();
        for (Proc p : procs) {
            boolean ours = p.pid.equals("1") || p.pid.equals(watchdog) || watchers.contains(p.pid) || watchers.contains(p.ppid);
            boolean reader = p.pid.equals(p.self) || p.ppid.equals(p.self);
            // A zombie (a child that ended before its stopped parent could reap it) runs nothing either.
            boolean stopped = p.state.equals("T") || p.state.equals("Z") || p.state.equals("X");
            if (!ours && !reader && !stopped) {
                left.add(p.pid + " " + p.state + " " + p.comm);
            }
        }
        return left;
    }

    private record Proc(String pid, String comm, String state, String ppid, String self) {
    }
}
