package dev.devs.sandbox.docker;

import static dev.devs.sandbox.SandboxLifecycleEvent.Type.FAILED;
import static dev.devs.sandbox.SandboxLifecycleEvent.Type.KILLED;
import static dev.devs.sandbox.SandboxLifecycleEvent.Type.READY;
import static dev.devs.sandbox.SandboxLifecycleEvent.Type.STARTING;
import static dev.devs.sandbox.SandboxLifecycleEvent.Type.STOPPED;
import static dev.devs.sandbox.docker.DockerTestSupport.PATIENCE;
import static dev.devs.sandbox.docker.DockerTestSupport.TINY_IMAGE;
import static dev.devs.sandbox.docker.DockerTestSupport.assertNothingLeftOf;
import static dev.devs.sandbox.docker.DockerTestSupport.sleeper;
import static dev.devs.sandbox.docker.DockerTestSupport.timing;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.devs.sandbox.ImageNotFoundException;
import dev.devs.sandbox.ResourceLabels;
import dev.devs.sandbox.Sandbox;
import dev.devs.sandbox.SandboxLifecycleEvent;
import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.StartType;
import dev.devs.sandbox.StopOutcome;
import dev.devs.sandbox.tck.RecordingListener;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The exact lifecycle events of Docker sandboxes, in the manner of OkHttp's EventListenerTest: order,
 * then every field that the contract promises for each event.
 */
@Timeout(60)
class DockerEventSequenceTest extends RecordedDockerProvider {

    private static final List<String> WARM_PHASES = List.of("inspect-image", "create", "attach", "start", "ready");
    private static final List<String> STOP_PHASES = List.of("stop", "remove");

    @Test
    void warmStartEmitsStartingThenReadyWithTimestampsDurationPhasesAndAttributes() {
        Sandbox sb = provider.start(sleeper().build());

        assertThat(events.typesOf(sb.id())).containsExactly(STARTING, READY);
        SandboxLifecycleEvent.Starting starting = events.get(0, SandboxLifecycleEvent.Starting.class);
        assertThat(starting.driver()).isEqualTo("docker");

        SandboxLifecycleEvent.Ready ready = events.get(1, SandboxLifecycleEvent.Ready.class);
        assertReady(ready, starting, StartType.WARM, WARM_PHASES);
        assertThat(ready.attributes()).containsEntry("image", TINY_IMAGE);
        assertThat(ready.attributes().get("containerId")).matches("[0-9a-f]{64}");
        assertThat(sb.startType()).isEqualTo(StartType.WARM);
        assertThat(sb.provisioningDuration()).isEqualTo(ready.duration());
        timing("warm start", ready.duration(), ready.phases());
    }

    @Test
    void readyComesOnlyOnceTheReadinessProbePassesAndRecordsTheReadinessPhaseLast() throws Exception {
        // The probe can pass only after the test opens the gate, from outside, with the Docker CLI.
        CompletableFuture<Sandbox> start = provider.startAsync(SandboxSpec.builder(TINY_IMAGE)
                .command("sh", "-c", "while [ ! -f /tmp/gate ]; do sleep 0.05; done; touch /tmp/ready; exec sleep 600")
                .readinessProbe("sh", "-c", "echo tried >> /tmp/probes; test -f /tmp/ready")
                .build());
        String container = ResourceLabels.NAME_PREFIX + awaitStarting();
        await().atMost(PATIENCE).pollInterval(Duration.ofMillis(10)).until(() -> isRunning(container));
        // Once the probe has failed three times (each try leaves a line), look: the start must still be waiting.
        await().atMost(PATIENCE).pollInterval(Duration.ofMillis(50)).until(() -> probesTried(container) >= 3);
        assertThat(start).as("start before the probe can pass").isNotDone();
        assertThat(events.types()).containsExactly(STARTING);

        DockerTestSupport.cli("exec", container, "touch", "/tmp/gate");
        Sandbox sb = start.get();

        SandboxLifecycleEvent.Ready ready = events.get(1, SandboxLifecycleEvent.Ready.class);
        assertReady(ready, events.events().get(0), StartType.WARM,
                List.of("inspect-image", "create", "attach", "start", "ready", "readiness"));
        assertThat(sb.exec("test", "-f", "/tmp/ready").exitCode()).isZero();
        timing("warm start + gated probe", ready.duration(), ready.phases());
    }

    private String awaitStarting() {
        await().atMost(PATIENCE).pollInterval(Duration.ofMillis(5)).until(() -> !events.events().isEmpty());
        return events.events().get(0).sandboxId();
    }

    private static int probesTried(String container) {
        try {
            return DockerTestSupport.cli("exec", container, "sh", "-c", "cat /tmp/probes 2>/dev/null || true").stream()
                    .filter(l -> l.contains("tried")).toList().size();
        } catch (AssertionError notYet) {
            return 0;
        }
    }

    private static boolean isRunning(String container) {
        try {
            return Boolean.TRUE.equals(DockerTestSupport.api().inspectContainerCmd(container).exec().getState().getRunning());
        } catch (com.github.dockerjava.api.exception.NotFoundException notYet) {
            return false;
        }
    }

    @Test
    void startFromAnImageOnlyInTheRegistryIsColdAndRecordsThePull() {
        String image = DockerTestSupport.pushUniqueCopyToRegistry();
        try {
            Sandbox cold = provider.start(SandboxSpec.builder(image).command("sleep", "600").build());
            SandboxLifecycleEvent.Ready coldReady = (SandboxLifecycleEvent.Ready) events.eventsOf(cold.id()).get(1);
            assertReady(coldReady, events.eventsOf(cold.id()).get(0), StartType.COLD,
                    List.of("inspect-image", "pull", "create", "attach", "start", "ready"));
            assertThat(coldReady.attributes()).containsEntry("image", image);
            timing("cold start (registry pull)", coldReady.duration(), coldReady.phases());

            // The pull made it local: the next start of the same image is warm.
            Sandbox warm = provider.start(SandboxSpec.builder(image).command("sleep", "600").build());
            SandboxLifecycleEvent.Ready warmReady = (SandboxLifecycleEvent.Ready) events.eventsOf(warm.id()).get(1);
            assertReady(warmReady, events.eventsOf(warm.id()).get(0), StartType.WARM, WARM_PHASES);
            cold.stop();
            warm.stop();
        } finally {
            provider.close();
            DockerTestSupport.removeLocalImage(image);
        }
    }

    @Test
    void failedStartEmitsStartingThenFailedWithTheErrorAndLeavesNothing() {
        String missing = DockerTestSupport.REGISTRY + "/devs-docker-test-missing-" + UUID.randomUUID().toString().substring(0, 8) + ":1";

        Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(
                () -> provider.start(SandboxSpec.builder(missing).command("sleep", "600").build()));

        assertThat(thrown).isInstanceOf(ImageNotFoundException.class);
        assertThat(events.types()).containsExactly(STARTING, FAILED);
        SandboxLifecycleEvent starting = events.events().get(0);
        SandboxLifecycleEvent.Failed failed = events.get(1, SandboxLifecycleEvent.Failed.class);
        assertThat(failed.sandboxId()).isEqualTo(starting.sandboxId()).isEqualTo(((ImageNotFoundException) thrown).sandboxId());
        assertThat(failed.driver()).isEqualTo("docker");
        assertThat(failed.error()).isSameAs(thrown);
        assertThat(((ImageNotFoundException) failed.error()).image()).isEqualTo(missing);
        assertThat(failed.startType()).contains(StartType.COLD); // it had decided to pull
        assertThat(failed.provisioningStartedAt()).isEqualTo(starting.provisioningStartedAt());
        assertThat(failed.duration()).isPositive();
        assertThat(List.copyOf(failed.phases().keySet())).containsExactly("inspect-image", "pull");
        assertThat(failed.attributes()).containsEntry("image", missing).doesNotContainKey("containerId");
        assertThat(provider.liveSandboxes()).isEmpty();
        assertNothingLeftOf(starting.sandboxId());
    }

    @Test
    void stopOfACooperativeSandboxEmitsStoppedOnceAndASecondStopEmitsNothing() {
        Sandbox sb = provider.start(sleeper().build());
        SandboxLifecycleEvent.Ready ready = events.last(SandboxLifecycleEvent.Ready.class);

        assertThat(sb.stop()).isEqualTo(StopOutcome.STOPPED);
        assertThat(sb.stop()).isEqualTo(StopOutcome.STOPPED);
        sb.close();

        assertThat(events.typesOf(sb.id())).containsExactly(STARTING, READY, STOPPED);
        SandboxLifecycleEvent.Stopped stopped = events.last(SandboxLifecycleEvent.Stopped.class);
        assertEndOfLife(stopped, ready);
        timing("stop (cooperative)", stopped.duration(), stopped.phases());
    }

    @Test
    void sandboxIgnoringSigtermIsKilledAfterTheGracePeriod() {
        Sandbox sb = provider.start(DockerTestSupport.ignoringSigterm().stopGracePeriod(Duration.ofSeconds(1)).build());
        SandboxLifecycleEvent.Ready ready = events.last(SandboxLifecycleEvent.Ready.class);

        assertThat(sb.stop()).isEqualTo(StopOutcome.KILLED);

        assertThat(events.typesOf(sb.id())).containsExactly(STARTING, READY, KILLED);
        SandboxLifecycleEvent.Killed killed = events.last(SandboxLifecycleEvent.Killed.class);
        assertEndOfLife(killed, ready);
        // A lower bound the engine guarantees (it kills only once the grace has passed), which load cannot break.
        assertThat(killed.duration()).isGreaterThanOrEqualTo(Duration.ofSeconds(1));
        assertNothingLeftOf(sb.id());
        timing("stop (killed after 1 s grace)", killed.duration(), killed.phases());
    }

    @Test
    void sandboxWhoseProcessDiedBeforeStopIsReportedKilled() {
        Sandbox sb = provider.start(sleeper().build());
        SandboxLifecycleEvent.Ready ready = events.last(SandboxLifecycleEvent.Ready.class);
        // The main process (child of the engine's init) dies; init exits with it, and so does the container.
        DockerTestSupport.killMainProcess(sb);
        await().atMost(PATIENCE).pollInterval(Duration.ofMillis(10)).until(() -> !sb.isAlive());

        assertThat(sb.stop()).isEqualTo(StopOutcome.KILLED);

        assertThat(events.typesOf(sb.id())).containsExactly(STARTING, READY, KILLED);
        assertEndOfLife(events.last(SandboxLifecycleEvent.Killed.class), ready);
        assertNothingLeftOf(sb.id());
    }

    @Test
    void concurrentStartsEachEmitTheirOwnSequenceAndAllStopCleanly() {
        List<Sandbox> sandboxes = java.util.stream.IntStream.range(0, 5)
                .mapToObj(i -> provider.startAsync(sleeper().scratchVolume("/scratch").build()))
                .collect(java.util.stream.Collectors.toList())
                .stream().map(java.util.concurrent.CompletableFuture::join).collect(java.util.stream.Collectors.toList());

        assertThat(sandboxes.stream().map(Sandbox::id).distinct()).hasSize(5);
        for (Sandbox sb : sandboxes) {
            assertThat(events.typesOf(sb.id())).containsExactly(STARTING, READY);
            assertReady((SandboxLifecycleEvent.Ready) events.eventsOf(sb.id()).get(1), events.eventsOf(sb.id()).get(0), StartType.WARM, WARM_PHASES);
            assertThat(sb.exec("cat", "/proc/1/cmdline").stdout()).contains("sleep");
            timing("warm start (1 of 5 at once)", sb.provisioningDuration(), "");
        }
        sandboxes.parallelStream().forEach(Sandbox::stop);
        for (Sandbox sb : sandboxes) {
            assertThat(events.typesOf(sb.id())).containsExactly(STARTING, READY, STOPPED);
            assertNothingLeftOf(sb.id());
        }
    }

    /** A driver named for its engine (e.g. podman) carries that name on every event: its series and meters are its own. */
    @Test
    void aDriverBuiltWithANameReportsItOnEveryEvent() {
        RecordingListener named = new RecordingListener();
        try (SandboxProvider p = SandboxProvider.builder(DockerDriver.builder().name("engine-b").build()).listener(named).build()) {
            Sandbox sb = p.start(sleeper().build());
            assertThat(sb.driver()).isEqualTo("engine-b");
            assertThat(sb.stop()).isEqualTo(StopOutcome.STOPPED);
            assertThat(named.types()).containsExactly(STARTING, READY, STOPPED);
            assertThat(named.events()).extracting(SandboxLifecycleEvent::driver).containsOnly("engine-b");
            assertNothingLeftOf(sb.id());
        }
    }

    @Test
    void throwingListenerBreaksNeitherTheProviderNorTheOtherListeners() {
        AtomicInteger calls = new AtomicInteger();
        RecordingListener after = new RecordingListener();
        try (SandboxProvider p = SandboxProvider.builder(new DockerDriver())
                .listener(e -> {
                    calls.incrementAndGet();
                    throw new IllegalStateException("listener failure on purpose");
                })
                .listener(after)
                .build()) {
            Sandbox sb = p.start(sleeper().build());
            assertThat(sb.exec("echo", "ok").stdout()).isEqualTo("ok\n");
            assertThat(sb.stop()).isEqualTo(StopOutcome.STOPPED);
            assertThatThrownBy(() -> p.start(SandboxSpec.builder(DockerTestSupport.REGISTRY + "/devs-docker-test-missing-"
                    + UUID.randomUUID().toString().substring(0, 8) + ":1").build()))
                    .isInstanceOf(ImageNotFoundException.class);

            assertThat(after.types()).containsExactly(STARTING, READY, STOPPED, STARTING, FAILED);
            assertThat(calls).hasValue(5);
            assertNothingLeftOf(sb.id());
        }
    }

    private static void assertReady(SandboxLifecycleEvent.Ready ready, SandboxLifecycleEvent starting, StartType type, List<String> phases) {
        assertThat(ready.type()).isEqualTo(READY);
        assertThat(ready.sandboxId()).isEqualTo(starting.sandboxId());
        assertThat(ready.driver()).isEqualTo("docker");
        assertThat(ready.startType()).isEqualTo(type);
        assertThat(ready.provisioningStartedAt()).isEqualTo(starting.provisioningStartedAt());
        assertThat(ready.provisioningReadyAt()).isAfterOrEqualTo(ready.provisioningStartedAt());
        assertThat(ready.timestamp()).isEqualTo(ready.provisioningReadyAt());
        assertThat(ready.duration()).isPositive();
        // A start that waited for the admission gate (concurrent starts beyond its bound) begins with the phase queued.
        List<String> ran = List.copyOf(ready.phases().keySet());
        if (!ran.isEmpty() && ran.get(0).equals(DockerDriver.QUEUED_PHASE)) {
            ran = ran.subList(1, ran.size());
        }
        assertThat(ran).containsExactlyElementsOf(phases);
        assertThat(ready.phases().values()).allSatisfy(d -> assertThat(d).isPositive());
        Duration sum = ready.phases().values().stream().reduce(Duration.ZERO, Duration::plus);
        assertThat(sum).isLessThanOrEqualTo(ready.duration());
    }

    private static void assertEndOfLife(SandboxLifecycleEvent.Ended end, SandboxLifecycleEvent.Ready ready) {
        assertThat(end.sandboxId()).isEqualTo(ready.sandboxId());
        assertThat(end.driver()).isEqualTo("docker");
        assertThat(end.startType()).isEqualTo(ready.startType());
        assertThat(end.provisioningStartedAt()).isEqualTo(ready.provisioningStartedAt());
        assertThat(end.provisioningReadyAt()).isEqualTo(ready.provisioningReadyAt());
        assertThat(end.timestamp()).isAfterOrEqualTo(ready.provisioningReadyAt());
        assertThat(end.duration()).isPositive();
        if (end instanceof SandboxLifecycleEvent.Killed killed) {
            assertThat(killed.error()).isEmpty();
        }
        assertThat(List.copyOf(end.phases().keySet())).containsExactlyElementsOf(STOP_PHASES);
        assertThat(end.attributes()).isEqualTo(ready.attributes());
    }
}
