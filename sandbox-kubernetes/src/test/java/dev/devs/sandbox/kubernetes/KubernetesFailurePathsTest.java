package dev.devs.sandbox.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import dev.devs.sandbox.Sandbox;
import dev.devs.sandbox.SandboxException;
import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.SandboxStartException;
import dev.devs.sandbox.SandboxTimeoutException;
import dev.devs.sandbox.StopOutcome;
import dev.devs.sandbox.tck.Patience;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a cluster does to a sandbox that the driver does not ask for, on the API mock with the kubelet stand-in: a
 * container that ends after Ready (an error, the OOM killer), an eviction, the Pod deleted by someone else while it
 * starts, a DELETE the API server refuses or fails, and exec requests the API server would reject. Each ends with a
 * clear outcome and nothing left behind.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class KubernetesFailurePathsTest {

    private static final String NS = ClusterStandIn.NAMESPACE;

    @RegisterExtension
    static final ClusterStandIn cluster = new ClusterStandIn();

    private static Pod pod(Sandbox sandbox) {
        return cluster.control().pods().inNamespace(NS).withName(PodManifest.name(sandbox.id())).get();
    }

    @Test
    void aContainerThatCrashesAfterReadyIsNotAliveAndItsStopSaysItEndedByItself() {
        try (SandboxProvider provider = SandboxProvider.builder(cluster.podDriver().build()).build()) {
            Sandbox sandbox = provider.start(SandboxSpec.builder("busybox:1.36").build());
            assertThat(sandbox.isAlive()).isTrue();

            cluster.kubelet().containerEnds(PodManifest.name(sandbox.id()), 2, "Error");

            await().atMost(Patience.seconds(10)).until(() -> !sandbox.isAlive());
            assertThat(sandbox.stop()).as("stop of a sandbox whose container had ended").isEqualTo(StopOutcome.KILLED);
            cluster.assertNothingLeftOf(sandbox.id());
        }
    }

    @Test
    void anOomKilledContainerAfterReadyIsNotAliveAndItsStopSaysItWasKilled() {
        try (SandboxProvider provider = SandboxProvider.builder(cluster.podDriver().build()).build()) {
            Sandbox sandbox = provider.start(SandboxSpec.builder("busybox:1.36").build());

            cluster.kubelet().containerEnds(PodManifest.name(sandbox.id()), 137, "OOMKilled");

            await().atMost(Patience.seconds(10)).until(() -> !sandbox.isAlive());
            assertThat(pod(sandbox).getStatus().getContainerStatuses().get(0).getState().getTerminated().getReason())
                    .isEqualTo("OOMKilled");
            assertThat(sandbox.stop()).isEqualTo(StopOutcome.KILLED);
            cluster.assertNothingLeftOf(sandbox.id());
        }
    }

    @Test
    void anEvictedPodIsNotAliveAndItsStopLeavesNothing() {
        try (SandboxProvider provider = SandboxProvider.builder(cluster.podDriver().build()).build()) {
            Sandbox sandbox = provider.start(SandboxSpec.builder("busybox:1.36").build());

            cluster.kubelet().evict(PodManifest.name(sandbox.id()));

            await().atMost(Patience.seconds(10)).until(() -> !sandbox.isAlive());
            assertThat(sandbox.stop()).isEqualTo(StopOutcome.KILLED);
            cluster.assertNothingLeftOf(sandbox.id());
        }
    }

    @Test
    void aContainerThatIsOomKilledWhileStartingFailsTheStartNamingTheReasonAndExitCode() {
        // The probe never passes: the container runs but is not Ready when the OOM killer ends it.
        SandboxSpec spec = SandboxSpec.builder("busybox:1.36").readinessProbe("false").startupTimeout(Patience.seconds(30)).build();
        try (SandboxProvider provider = SandboxProvider.builder(cluster.podDriver().build()).build()) {
            CompletableFuture<Sandbox> start = provider.startAsync(spec);
            String name = awaitRunningPod();

            cluster.kubelet().containerEnds(name, 137, "OOMKilled");

            Throwable thrown = catchThrowable(() -> start.get(Patience.seconds(20).toMillis(), TimeUnit.MILLISECONDS));
            assertThat(thrown).hasCauseInstanceOf(SandboxStartException.class);
            SandboxStartException e = (SandboxStartException) thrown.getCause();
            assertThat(e).isNotInstanceOf(SandboxTimeoutException.class);
            assertThat(e.getMessage()).contains(name, "ended before it was ready", "exit code 137", "OOMKilled");
            cluster.assertNothingLeftOf(e.sandboxId());
        }
    }

    @Test
    void aPodEvictedWhileStartingFailsTheStartNamingTheEviction() {
        SandboxSpec spec = SandboxSpec.builder("busybox:1.36").readinessProbe("false").startupTimeout(Patience.seconds(30)).build();
        try (SandboxProvider provider = SandboxProvider.builder(cluster.podDriver().build()).build()) {
            CompletableFuture<Sandbox> start = provider.startAsync(spec);
            String name = awaitRunningPod();

            cluster.kubelet().evict(name);

            Throwable thrown = catchThrowable(() -> start.get(Patience.seconds(20).toMillis(), TimeUnit.MILLISECONDS));
            SandboxStartException e = (SandboxStartException) thrown.getCause();
            assertThat(e).isNotInstanceOf(SandboxTimeoutException.class);
            assertThat(e.getMessage()).contains(name, "reason Evicted", "The node was low on resource: memory");
            cluster.assertNothingLeftOf(e.sandboxId());
        }
    }

    @Test
    void aPodDeletedFromOutsideWhileStartingFailsTheStartSayingSoAndLeavesNothing() {
        SandboxSpec spec = SandboxSpec.builder("busybox:1.36").readinessProbe("false").startupTimeout(Patience.seconds(30)).build();
        try (SandboxProvider provider = SandboxProvider.builder(cluster.podDriver().build()).build()) {
            CompletableFuture<Sandbox> start = provider.startAsync(spec);
            String name = awaitRunningPod();

            cluster.control().pods().inNamespace(NS).withName(name).withGracePeriod(0).delete();

            Throwable thrown = catchThrowable(() -> start.get(Patience.seconds(20).toMillis(), TimeUnit.MILLISECONDS));
            assertThat(thrown).as("the start, once its Pod was deleted").hasCauseInstanceOf(SandboxStartException.class);
            SandboxStartException e = (SandboxStartException) thrown.getCause();
            assertThat(e).isNotInstanceOf(SandboxTimeoutException.class);
            assertThat(e.getMessage()).contains(name, "disappeared before it was ready");
            cluster.assertNothingLeftOf(e.sandboxId());
        }
    }

    @Test
    void aWatchAnsweredGoneDuringAStartIsResumedAndTheStartSeesThePodReady(@TempDir Path dir) throws Exception {
        startSeesReadyAfterItsWatchIsDisrupted(ExecStandIn.WatchDisruption.GONE, dir);
    }

    @Test
    void aWatchDroppedDuringAStartIsResumedAndTheStartSeesThePodReady(@TempDir Path dir) throws Exception {
        startSeesReadyAfterItsWatchIsDisrupted(ExecStandIn.WatchDisruption.DROP, dir);
    }

    /**
     * The Pod becomes Ready only after the start's watch was disrupted (its readiness probe waits for a file the test
     * creates then), so only a start that lists and watches again sees it; one that does not would run into its
     * startupTimeout and fail this test.
     */
    private static void startSeesReadyAfterItsWatchIsDisrupted(ExecStandIn.WatchDisruption disruption, Path dir) throws Exception {
        Path ready = dir.resolve("ready");
        int before = cluster.disruptedWatches().size();
        cluster.disruptNextPodWatches(disruption);
        try (SandboxProvider provider = SandboxProvider.builder(cluster.podDriver().build()).build()) {
            SandboxSpec spec = SandboxSpec.builder("busybox:1.36").readinessProbe("test", "-e", ready.toString())
                    .startupTimeout(Patience.seconds(30)).build();
            CompletableFuture<Sandbox> start = CompletableFuture.supplyAsync(() -> provider.start(spec));

            await().atMost(Patience.seconds(20)).until(() -> cluster.disruptedWatches().size() > before || start.isDone());
            assertThat(cluster.disruptedWatches()).as("watches the stand-in disrupted").hasSize(before + 1).last().isEqualTo(disruption);
            assertThat(start).as("the start, before its Pod can be Ready").isNotDone();
            Files.createFile(ready);

            Sandbox sandbox = start.get(Patience.seconds(30).toMillis(), TimeUnit.MILLISECONDS);
            assertThat(sandbox.isAlive()).isTrue();
            assertThat(pod(sandbox).getStatus().getConditions()).anySatisfy(c -> {
                assertThat(c.getType()).isEqualTo("Ready");
                assertThat(c.getStatus()).isEqualTo("True");
            });
            assertThat(sandbox.stop()).isEqualTo(StopOutcome.STOPPED);
            cluster.assertNothingLeftOf(sandbox.id());
        } finally {
            cluster.clearWatchDisruptions();
        }
    }

    @Test
    void aForbiddenDeleteFailsTheStopNamingItAndARetriedStopSucceeds() {
        stopRefusedOnceThenRetried(403, "Forbidden", "pods \"x\" is forbidden: User \"ci\" cannot delete resource \"pods\"");
    }

    @Test
    void anApiServerErrorOnDeleteFailsTheStopAndARetriedStopSucceeds() {
        // fabric8 retries a 5xx by itself (with back-off, ten times by default): a client without those retries shows
        // the driver's own handling of the one that gets through.
        Config noRetries = new ConfigBuilder(cluster.client().getConfiguration()).withRequestRetryBackoffLimit(0).build();
        try (KubernetesClient client = new KubernetesClientBuilder().withConfig(noRetries).build()) {
            stopRefusedOnceThenRetried(KubernetesDriver.builder().client(client).namespace(NS).build(), 500, "InternalError",
                    "Internal error occurred: etcdserver: request timed out");
        }
    }

    private static void stopRefusedOnceThenRetried(int code, String reason, String message) {
        stopRefusedOnceThenRetried(cluster.podDriver().build(), code, reason, message);
    }

    private static void stopRefusedOnceThenRetried(KubernetesDriver driver, int code, String reason, String message) {
        try (SandboxProvider provider = SandboxProvider.builder(driver).build()) {
            Sandbox sandbox = provider.start(SandboxSpec.builder("busybox:1.36").build());
            String name = PodManifest.name(sandbox.id());
            cluster.refuseDeleteOnce("/api/v1/namespaces/" + NS + "/pods/" + name, code, reason, message);

            assertThatThrownBy(sandbox::stop).isInstanceOf(SandboxException.class)
                    .hasMessageContaining(sandbox.id()).hasMessageContaining(name).hasMessageContaining(message);
            assertThat(pod(sandbox)).as("the Pod after the refused delete").isNotNull();

            // The failed release was reported KILLED (with its error) when it failed; the retry releases for real.
            assertThat(sandbox.stop()).as("the retried stop: the outcome reported when the release failed").isEqualTo(StopOutcome.KILLED);
            assertThat(pod(sandbox)).as("the Pod after the retried stop").isNull();
            cluster.assertNothingLeftOf(sandbox.id());
        }
    }

    @Test
    void theExecStandInRefusesAContainerThePodDoesNotHaveAndATtyAndLetsTheDriversExecThrough() throws Exception {
        // The positive control for the checks the exec stand-in makes of what the driver sends (fabric8 checks the
        // container name itself before sending, so the wrong requests go out raw).
        try (SandboxProvider provider = SandboxProvider.builder(cluster.podDriver().build()).build();
             Sandbox sandbox = provider.start(SandboxSpec.builder("busybox:1.36").build())) {
            String exec = cluster.client().getMasterUrl() + "api/v1/namespaces/" + NS + "/pods/" + PodManifest.name(sandbox.id())
                    + "/exec?command=true&stdout=true&stderr=true&container=";
            HttpClient http = HttpClient.newHttpClient();

            HttpResponse<String> wrongContainer = http.send(HttpRequest.newBuilder(URI.create(exec + "not-" + PodManifest.CONTAINER)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(wrongContainer.statusCode()).isEqualTo(400);
            assertThat(wrongContainer.body()).contains("is not valid for pod", "test stand-in");
            HttpResponse<String> tty = http.send(HttpRequest.newBuilder(URI.create(exec + PodManifest.CONTAINER + "&tty=true")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(tty.statusCode()).isEqualTo(400);
            assertThat(tty.body()).contains("no tty", "test stand-in");

            assertThat(sandbox.exec("echo", "hi").stdout()).isEqualTo("hi\n");
            ExecStandIn.Exec last = List.copyOf(cluster.execs()).get(cluster.execs().size() - 1);
            assertThat(last.container()).isEqualTo(PodManifest.CONTAINER);
            // The driver's shell tells the command's pid (so that a timeout can end it), then execs the command as given.
            assertThat(last.command()).startsWith("/bin/sh", "-c").endsWith("sh", "echo", "hi");
            assertThat(last.flags()).containsEntry("stdout", "true").containsEntry("stderr", "true")
                    .doesNotContainEntry("tty", "true").doesNotContainEntry("stdin", "true");
        }
    }

    /** The one Pod of the namespace that runs and is not Ready yet; its name. */
    private static String awaitRunningPod() {
        String[] name = new String[1];
        await().atMost(Patience.seconds(20)).pollInterval(Duration.ofMillis(20)).until(() -> {
            for (Pod p : cluster.control().pods().inNamespace(NS).list().getItems()) {
                if (p.getStatus() != null && "Running".equals(p.getStatus().getPhase()) && p.getMetadata().getDeletionTimestamp() == null
                        && !new PodStatusView(p).isReady()) {
                    name[0] = p.getMetadata().getName();
                    return true;
                }
            }
            return false;
        });
        return name[0];
    }
}
