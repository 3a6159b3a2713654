package dev.devs.sandbox.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.devs.sandbox.ImageNotFoundException;
import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxRuntimeUnavailableException;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.SandboxStartException;
import dev.devs.sandbox.SandboxTimeoutException;
import io.fabric8.kubernetes.client.Config;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Each way a start fails names the bad value and leaves nothing behind: image pull back-off, unschedulable, missing
 * namespace, forbidden, unreachable API server, startup timeout. Refusals that the CRUD mock does not model (a
 * missing namespace, RBAC) are the real API server's Status answers, programmed on the mock server.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class KubernetesErrorsTest {

    @RegisterExtension
    static final ClusterStandIn cluster = new ClusterStandIn();

    @Test
    void imagePullBackOffNamesTheImageAndTheKubeletsMessage() {
        String image = "registry.example/" + KubeletStandIn.MISSING_IMAGE_MARK + "-app:2";

        SandboxStartException e = startFails(cluster.podDriver().build(), SandboxSpec.builder(image).build());

        assertThat(e).isInstanceOf(ImageNotFoundException.class);
        assertThat(((ImageNotFoundException) e).image()).isEqualTo(image);
        assertThat(e.getMessage()).contains("'" + image + "'", "ImagePullBackOff",
                "Failed to pull image \"" + image + "\"", "not found");
        cluster.assertNothingLeftOf(e.sandboxId());
    }

    @Test
    void unschedulablePodNamesTheSchedulersReason() {
        SandboxSpec tooBig = SandboxSpec.builder("busybox:1.36").memoryBytes(64L * 1024 * 1024 * 1024).build();

        SandboxStartException e = startFails(cluster.podDriver().build(), tooBig);

        assertThat(e.getMessage()).contains("cannot be scheduled", "Unschedulable", "0/1 nodes are available: 1 Insufficient memory",
                "memoryBytes " + tooBig.memoryBytes());
        cluster.assertNothingLeftOf(e.sandboxId());
    }

    @Test
    void missingNamespaceIsNamedWithHowToCreateIt() {
        cluster.refuseOnce("/apis/networking.k8s.io/v1/namespaces/team-x/networkpolicies", 404, "NotFound",
                "namespaces \"team-x\" not found", "namespaces");

        SandboxStartException e = startFails(cluster.podDriver().namespace("team-x").build(), SandboxSpec.builder("busybox:1.36").build());

        assertThat(e.getMessage()).contains("namespace 'team-x' not found", "kubectl create namespace team-x");
    }

    @Test
    void forbiddenNamesTheVerbAndResourceRbacMustAllow() {
        cluster.refuseOnce("/api/v1/namespaces/" + ClusterStandIn.NAMESPACE + "/pods", 403, "Forbidden",
                "pods is forbidden: User \"system:serviceaccount:ci:runner\" cannot create resource \"pods\" in API group \"\""
                        + " in the namespace \"" + ClusterStandIn.NAMESPACE + "\"", "pods");

        SandboxStartException e = startFails(cluster.podDriver().build(), SandboxSpec.builder("busybox:1.36").network("bridge").build());

        assertThat(e.getMessage()).contains("forbidden", "verb 'create'", "resource 'pods'", "namespace '" + ClusterStandIn.NAMESPACE + "'",
                "system:serviceaccount:ci:runner", "docs/kubernetes.md");
        cluster.assertNothingLeftOf(e.sandboxId());
    }

    @Test
    void unreachableApiServerNamesTheUrlAndContextTried() throws IOException {
        String url = "https://127.0.0.1:" + closedPort();
        Config config = kubeconfig(url);
        config.setRequestRetryBackoffLimit(0);

        SandboxStartException e = startFails(KubernetesDriver.builder().config(config).build(), SandboxSpec.builder("busybox:1.36").build());

        assertThat(e).isInstanceOf(SandboxRuntimeUnavailableException.class);
        assertThat(e.getMessage()).contains(url, "context 'kind-devs'", "could not be reached");
    }

    @Test
    void clientRetriesAgainstAnUnreachableServerEndAtTheStartupTimeout() throws IOException {
        // fabric8 retries a refused connection with back-off for far longer than this start may last.
        String url = "https://127.0.0.1:" + closedPort();

        SandboxStartException e = startFails(KubernetesDriver.builder().config(kubeconfig(url)).build(),
                SandboxSpec.builder("busybox:1.36").startupTimeout(Duration.ofSeconds(1)).build());

        assertThat(e).isInstanceOf(SandboxTimeoutException.class);
        assertThat(e.getMessage()).contains("PT1S", url, "context 'kind-devs'", "create networkpolicies");
    }

    private static int closedPort() throws IOException {
        try (ServerSocket free = new ServerSocket(0)) {
            return free.getLocalPort();
        }
    }

    private static Config kubeconfig(String url) {
        return Config.fromKubeconfig("apiVersion: v1\nkind: Config\ncurrent-context: kind-devs\n"
                + "clusters: [{name: kind-devs, cluster: {server: '" + url + "', insecure-skip-tls-verify: true}}]\n"
                + "contexts: [{name: kind-devs, context: {cluster: kind-devs, user: dev, namespace: sandboxes}}]\n"
                + "users: [{name: dev, user: {token: not-a-real-token}}]\n");
    }

    @Test
    void startupTimeoutNamesThePhaseAndTheLastStatusSeen() {
        // The readiness probe never passes: the Pod runs but never turns Ready.
        SandboxSpec neverReady = SandboxSpec.builder("busybox:1.36").readinessProbe("false").startupTimeout(Duration.ofSeconds(2)).build();

        SandboxStartException e = startFails(cluster.podDriver().build(), neverReady);

        assertThat(e).isInstanceOf(SandboxTimeoutException.class);
        assertThat(e.getMessage()).contains("PT2S", "phase 'ready'", "phase Running", "Ready=");
        cluster.assertNothingLeftOf(e.sandboxId());
    }

    private static SandboxStartException startFails(KubernetesDriver driver, SandboxSpec spec) {
        try (SandboxProvider provider = SandboxProvider.builder(driver).build()) {
            Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(() -> provider.start(spec));
            assertThat(thrown).isInstanceOf(SandboxStartException.class);
            return (SandboxStartException) thrown;
        }
    }

}
