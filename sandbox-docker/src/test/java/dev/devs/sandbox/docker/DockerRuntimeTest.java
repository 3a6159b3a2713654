package dev.devs.sandbox.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import dev.devs.sandbox.tck.RecordingListener;
import dev.devs.sandbox.Sandbox;
import dev.devs.sandbox.SandboxLifecycleEvent;
import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxStartException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code SandboxSpec.runtime}: checked against the engine's runtimes first, and a start the runtime fails leaves nothing. */
@Timeout(60)
@ExtendWith(SessionLeakCheck.class)
class DockerRuntimeTest {

    @Test
    void anUnknownRuntimeFailsBeforeAnythingIsCreatedListingTheEnginesRuntimes() {
        RecordingListener events = new RecordingListener();
        try (SandboxProvider provider = SandboxProvider.builder(new DockerDriver()).listener(events).build()) {
            assertThatThrownBy(() -> provider.start(DockerTestSupport.sleeper().runtime("kata-nonexistent").build()))
                    .isInstanceOf(SandboxStartException.class)
                    .hasMessageContaining("runtime 'kata-nonexistent' is not registered")
                    .hasMessageContaining("runc")
                    .hasMessageContaining(String.join(", ", IsolationImages.engineRuntimes()));
            String id = DockerTestSupport.startedId(events.events());
            DockerTestSupport.assertNothingLeftOf(id);
            SandboxLifecycleEvent.Failed failed = (SandboxLifecycleEvent.Failed) events.events().get(events.events().size() - 1);
            assertThat(failed.phases()).as("phases of a start refused before any engine work").doesNotContainKeys("pull", "create");
            assertThat(failed.attributes()).doesNotContainKey("containerId");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"runc", "runsc"})
    void aStartTheRuntimeFailsLeavesNoContainerAndNoRuntimeProcess(String runtime) throws Exception {
        assumeThat(IsolationImages.engineRuntimes()).as("runtime '%s' is not registered with the engine under test", runtime).contains(runtime);
        RecordingListener events = new RecordingListener();
        try (SandboxProvider provider = SandboxProvider.builder(new DockerDriver()).listener(events).build()) {
            assertThatThrownBy(() -> provider.start(DockerTestSupport.sleeper().runtime(runtime).command("/no/such/program").build()))
                    .isInstanceOf(SandboxStartException.class)
                    .hasMessageContaining("/no/such/program");
            String id = DockerTestSupport.startedId(events.events());
            DockerTestSupport.assertNothingLeftOf(id);
            SandboxLifecycleEvent.Failed failed = (SandboxLifecycleEvent.Failed) events.events().get(events.events().size() - 1);
            assertThat(failed.attributes()).containsEntry("runtime", runtime);
            String containerId = failed.attributes().get("containerId");
            assertThat(containerId).as("the container the failed start created").isNotNull();
            if (!runtime.equals("runsc")) {
                // runc keeps no process of its own once a container runs (its init execs the program), so there is
                // no runtime process whose absence would mean anything: the container's absence above is the check.
                return;
            }
            // Positive control: while a runsc sandbox runs, its sandbox and gofer processes are found by the same scan.
            try (Sandbox running = provider.start(DockerTestSupport.sleeper().runtime(runtime).build())) {
                assertThat(runtimeProcessesOf(running.attributes().get("containerId")))
                        .as("runsc processes of a running sandbox (the scan's positive control)").isNotEmpty();
            }
            // The runtime's own processes for the failed start's container (runsc's sandbox and gofer) end with it.
            await().atMost(DockerTestSupport.PATIENCE).pollInterval(Duration.ofMillis(100))
                    .untilAsserted(() -> assertThat(runtimeProcessesOf(containerId))
                            .as("runtime processes of container %s", containerId).isEmpty());
        }
    }

    /**
     * Host processes started by the runtime for {@code containerId}, read from /proc (the tests run on the engine's
     * host). The engine's own containerd shim is not counted: it is the engine's to reap, see docs/security/isolation.md.
     */
    static List<String> runtimeProcessesOf(String containerId) throws IOException {
        List<String> found = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : (Iterable<Path>) procs.filter(d -> d.getFileName().toString().matches("\\d+"))::iterator) {
                String cmd;
                try {
                    cmd = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8).replace('\0', ' ');
                } catch (IOException gone) {
                    continue;
                }
                if (cmd.contains(containerId) && !cmd.contains("containerd-shim")) {
                    found.add(p.getFileName() + ": " + cmd.strip());
                }
            }
        }
        return found;
    }
}
