package dev.devs.sandbox.webcontainer;

import dev.devs.sandbox.tck.Patience;
import static dev.devs.sandbox.SandboxLifecycleEvent.Type.READY;
import static dev.devs.sandbox.SandboxLifecycleEvent.Type.STARTING;
import static dev.devs.sandbox.SandboxLifecycleEvent.Type.STOPPED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.devs.sandbox.ExecResult;
import dev.devs.sandbox.Sandbox;
import dev.devs.sandbox.SandboxExecTimeoutException;
import dev.devs.sandbox.SandboxLifecycleEvent;
import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.SandboxTimeoutException;
import dev.devs.sandbox.StartType;
import dev.devs.sandbox.StopOutcome;
import dev.devs.sandbox.webcontainer.internal.cdp.CdpConnection;
import dev.devs.sandbox.webcontainer.testing.StandInRuntime;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A real Chromium booting the real client against the loopback stand-in: the happy paths. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WebContainerDriverTest extends WithStandInProvider {

    @Test
    void startBootsAWebContainerWithAFileRoundTripAndStopDisposesItsContext() throws Exception {
        Sandbox sandbox = provider.start(SandboxSpec.builder().build());
        leaks.track(driver);

        assertThat(sandbox.startType()).isEqualTo(StartType.COLD);
        assertThat(sandbox.isAlive()).isTrue();
        // The readiness check wrote this file through WebContainer.fs and read it back.
        assertThat(sandbox.exec("cat", Readiness.FILE).stdout()).isEqualTo("ready " + sandbox.id());
        List<String> contexts = openContexts();
        assertThat(contexts).hasSize(1);

        assertThat(sandbox.stop()).isEqualTo(StopOutcome.STOPPED);
        assertThat(sandbox.isAlive()).isFalse();
        assertThat(openContexts()).isEmpty();
        assertThat(pagesOutsideTheDefaultContext()).isEmpty();
        // A hidden page outlives its disposed context unless it is closed: it would stay listed, in that context
        // (a closed one may be listed for a moment after its session detached).
        org.awaitility.Awaitility.await().atMost(Patience.seconds(5)).untilAsserted(() -> assertThat(
                driver.browserConnection().orElseThrow().targets(Duration.ofSeconds(5))).noneMatch(t -> contexts.contains(t.browserContextId())));
    }

    @Test
    void theMaximumLifetimeEndsTheWebContainerAndDisposesItsContextWithoutAnyStop() throws Exception {
        // Long enough for the context to be seen open right below the start even on a loaded machine (scaled by the
        // patience factor), but waited out in full, so no longer; the wait for its end is patient.
        Duration lifetime = Duration.ofSeconds(Patience.seconds(4).toSeconds());
        Sandbox sandbox = provider.start(SandboxSpec.builder().maxLifetime(lifetime).build());
        leaks.track(driver);
        assertThat(openContexts()).hasSize(1);

        org.awaitility.Awaitility.await().atMost(Patience.seconds(40)).pollInterval(Duration.ofMillis(100))
                .untilAsserted(() -> assertThat(openContexts()).as("contexts after the %s lifetime", lifetime).isEmpty());
        assertThat(sandbox.isAlive()).isFalse();
        assertThat(sandbox.stop()).as("it did not end on request").isEqualTo(StopOutcome.KILLED);
    }

    @Test
    void eventsArriveInOrderWithPhasesAndTheStandInNamedAsSuch() {
        Sandbox cold = provider.start(SandboxSpec.builder().build());
        cold.stop();
        Sandbox warm = provider.start(SandboxSpec.builder().build());
        warm.stop();

        assertThat(events.typesOf(cold.id())).containsExactly(STARTING, READY, STOPPED);
        assertThat(events.typesOf(warm.id())).containsExactly(STARTING, READY, STOPPED);
        var coldReady = (SandboxLifecycleEvent.Ready) events.eventsOf(cold.id()).get(1);
        var warmReady = (SandboxLifecycleEvent.Ready) events.eventsOf(warm.id()).get(1);
        assertThat(coldReady.startType()).isEqualTo(StartType.COLD);
        assertThat(List.copyOf(coldReady.phases().keySet())).containsExactly(WebContainerDriver.PHASE_LAUNCH_BROWSER,
                WebContainerDriver.PHASE_NEW_CONTEXT, WebContainerDriver.PHASE_LOAD_HARNESS, WebContainerDriver.PHASE_BOOT,
                WebContainerDriver.PHASE_READINESS);
        assertThat(warmReady.startType()).isEqualTo(StartType.WARM);
        assertThat(List.copyOf(warmReady.phases().keySet())).containsExactly(WebContainerDriver.PHASE_NEW_CONTEXT,
                WebContainerDriver.PHASE_LOAD_HARNESS, WebContainerDriver.PHASE_BOOT, WebContainerDriver.PHASE_READINESS);
        for (SandboxLifecycleEvent.Ready ready : List.of(coldReady, warmReady)) {
            assertThat(ready.provisioningReadyAt()).isAfterOrEqualTo(ready.provisioningStartedAt());
            assertThat(ready.duration()).isPositive();
            // Phases are measured inside the start, so together they cannot exceed it.
            Duration sum = ready.phases().values().stream().reduce(Duration.ZERO, Duration::plus);
            assertThat(sum).isLessThanOrEqualTo(ready.duration());
            assertThat(ready.attributes())
                    .containsEntry("endpoint", runtime.endpoint().toString())
                    .containsEntry("runtime", StandInRuntime.RUNTIME);
        }
        var stopped = (SandboxLifecycleEvent.Ended) events.eventsOf(cold.id()).get(2);
        assertThat(stopped.phases()).containsOnlyKeys(WebContainerDriver.PHASE_TEARDOWN, WebContainerDriver.PHASE_DISPOSE_CONTEXT);
    }

    @Test
    void execRunsCommandsThroughTheSpawnApiWithTheSpecsEnv() {
        try (Sandbox sandbox = provider.start(SandboxSpec.builder().env("GREETING", "hello").build())) {
            ExecResult echo = sandbox.exec("echo", "hi", "there");
            assertThat(echo.exitCode()).isZero();
            assertThat(echo.stdout()).isEqualTo("hi there\n");
            assertThat(echo.stderr()).isEmpty();

            assertThat(sandbox.exec("ls", "-a").stdout()).isEqualTo(Readiness.FILE + "\n");
            assertThat(sandbox.exec("pwd").stdout()).isEqualTo("/home/project\n");
            assertThat(sandbox.exec("env").stdout()).contains("GREETING=hello");
            assertThat(sandbox.exec("false").exitCode()).isEqualTo(1);
            ExecResult missing = sandbox.exec("cat", "no-such-file");
            assertThat(missing.exitCode()).isEqualTo(1);
            assertThat(missing.stdout()).contains("No such file or directory");
            ExecResult unknown = sandbox.exec("definitely-not-a-command");
            assertThat(unknown.exitCode()).isEqualTo(127);
        }
    }

    @Test
    @Timeout(value = 25, unit = TimeUnit.SECONDS) // far below the 300 s sleep: the timeout, not the command, must end it
    void execThatOutlivesItsTimeoutIsKilledAndTheSandboxStaysUsable() {
        try (Sandbox sandbox = provider.start(SandboxSpec.builder().build())) {
            assertThatThrownBy(() -> sandbox.exec(List.of("sleep", "300"), Duration.ofMillis(500)))
                    .isInstanceOf(SandboxExecTimeoutException.class)
                    .hasMessageContaining("[sleep, 300]")
                    .hasMessageContaining("PT0.5S")
                    .hasMessageContaining("it was killed");
            assertThat(sandbox.exec("echo", "still", "here").stdout()).isEqualTo("still here\n");
        }
    }

    @Test
    void readinessProbeRunsBeforeReady() throws Exception {
        try (Sandbox sandbox = provider.start(SandboxSpec.builder().readinessProbe("cat", Readiness.FILE).build())) {
            assertThat(sandbox.phases()).containsKey(WebContainerDriver.PHASE_READINESS);
        }
        assertThatThrownBy(() -> provider.start(SandboxSpec.builder().readinessProbe("false")
                .startupTimeout(Duration.ofSeconds(2)).build()))
                .isInstanceOf(SandboxTimeoutException.class)
                .hasMessageContaining("readiness probe [false]");
        assertThat(events.last().type()).isEqualTo(SandboxLifecycleEvent.Type.FAILED);
        assertThat(openContexts()).isEmpty();
    }

    @Test
    void apiKeyReachesTheRuntimeAsTheClientId() {
        try (WebContainerDriver keyed = WebContainerDriver.builder().endpoint(runtime.endpoint()).apiKey("wc-api-key-123").build();
             SandboxProvider keyedProvider = SandboxProvider.of(keyed)) {
            try (Sandbox sandbox = keyedProvider.start(SandboxSpec.builder().build())) {
                leaks.track(keyed);
                assertThat(sandbox.isAlive()).isTrue();
            }
        }
        assertThat(runtime.headlessRequests()).anySatisfy(uri -> assertThat(uri.getQuery()).contains("client_id=wc-api-key-123"));
    }

    private List<String> openContexts() throws InterruptedException {
        CdpConnection cdp = driver.browserConnection().orElseThrow();
        return cdp.browserContextIds(Duration.ofSeconds(5));
    }

    private List<CdpConnection.TargetInfo> pagesOutsideTheDefaultContext() throws InterruptedException {
        CdpConnection cdp = driver.browserConnection().orElseThrow();
        List<String> contexts = cdp.browserContextIds(Duration.ofSeconds(5));
        return cdp.targets(Duration.ofSeconds(5)).stream()
                // Any type: the driver's pages are hidden targets, which Chromium lists as "other", not "page".
                .filter(t -> t.url().contains("harness") || contexts.contains(t.browserContextId()))
                .toList();
    }
}
