package dev.devs.sandbox.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.devs.sandbox.ResourceLabels;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.NamespacedKubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import java.io.InputStream;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * STAND-IN for a Kubernetes cluster (none can run here): fabric8's mock API server in CRUD mode with watches, the
 * agent-sandbox resource definitions (test data of this project), the {@link KubeletStandIn} for one node, the
 * {@link ExecStandIn} for exec, and the {@link SandboxControllerStandIn} for claims. The driver talks to it over
 * HTTP with its ordinary client; the stand-ins use a client of their own.
 *
 * <p>A test class holds one as {@code @RegisterExtension static final ClusterStandIn cluster = new ClusterStandIn();}:
 * the cluster starts with the class and is closed after its last test.
 */
final class ClusterStandIn implements AutoCloseable, AfterAllCallback {

    static final String NAMESPACE = "sandboxes";

    private final KubernetesMockServer server;
    private final NamespacedKubernetesClient control;
    private final NamespacedKubernetesClient client;
    private final KubeletStandIn kubelet;
    private final SandboxControllerStandIn controller;
    private final ExecStandIn exec;

    ClusterStandIn() {
        Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
        KubeletStandIn[] kubeletRef = new KubeletStandIn[1];
        exec = new ExecStandIn(responses, (ns, pod) -> kubeletRef[0] != null && kubeletRef[0].isRunning(ns, pod));
        server = new KubernetesMockServer(new Context(), new MockWebServer(), responses, exec, false);
        server.init();
        control = server.createClient();
        try (InputStream crds = ClusterStandIn.class.getResourceAsStream("/agent-sandbox-crds.yaml")) {
            for (HasMetadata crd : control.load(crds).items()) {
                control.resource(crd).create();
            }
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot read the test CRDs", e);
        }
        control.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).endMetadata().build()).create();
        kubelet = new KubeletStandIn(control, NAMESPACE);
        kubeletRef[0] = kubelet;
        controller = new SandboxControllerStandIn(control, NAMESPACE);
        client = server.createClient();
    }

    /** A client for the driver, as a user's kubeconfig would give it. */
    KubernetesClient client() {
        return client;
    }

    /** The stand-ins' own client, for tests that look at or arrange the cluster's state. */
    KubernetesClient control() {
        return control;
    }

    KubeletStandIn kubelet() {
        return kubelet;
    }

    /** The execs the exec stand-in let through, oldest first. */
    /** Makes the Pods' image one without {@code /bin/sh} (true) or with one (false), as the exec stand-in answers. */
    void imageWithoutShell(boolean without) {
        exec.withoutShell = without;
    }

    Queue<ExecStandIn.Exec> execs() {
        return exec.execs;
    }

    /** Makes the next watches of one Pod (a start's) disrupted as given, one each, in order. */
    void disruptNextPodWatches(ExecStandIn.WatchDisruption... disruptions) {
        exec.watchDisruptions.addAll(List.of(disruptions));
    }

    /** The watch disruptions made so far, oldest first. */
    List<ExecStandIn.WatchDisruption> disruptedWatches() {
        return List.copyOf(exec.disruptedWatches);
    }

    /** Drops the disruptions not made yet. */
    void clearWatchDisruptions() {
        exec.watchDisruptions.clear();
    }

    SandboxControllerStandIn controller() {
        return controller;
    }

    /** A driver in Pod mode on this cluster's namespace. */
    KubernetesDriver.Builder podDriver() {
        return KubernetesDriver.builder().client(client).namespace(NAMESPACE);
    }

    /**
     * Makes the next {@code method} on {@code path} answer {@code code} with a Status, as a real API server answers a
     * request its admission or authorization refuses (which the CRUD mock does not model).
     */
    void refuseOnce(String path, int code, String reason, String message, String detailsKind) {
        Status status = new StatusBuilder().withStatus("Failure").withCode(code).withReason(reason)
                .withMessage(message + " [Kubernetes API test stand-in]").withNewDetails().withKind(detailsKind).endDetails().build();
        server.expect().post().withPath(path).andReturn(code, status).once();
    }

    /**
     * Makes the next DELETE of {@code path} answer {@code code} with a Status (an RBAC refusal, an API server's 5xx);
     * the message says it comes from the stand-in.
     */
    void refuseDeleteOnce(String path, int code, String reason, String message) {
        Status status = new StatusBuilder().withStatus("Failure").withCode(code).withReason(reason)
                .withMessage(message + " [Kubernetes API test stand-in]").build();
        server.expect().delete().withPath(path).andReturn(code, status).once();
    }

    /** Fails if any resource labelled with this sandbox id, or a claim's Sandbox or Pod, is still there. */
    /** No Pod, NetworkPolicy or SandboxClaim labelled with the provider session {@code sessionId} is left. */
    void assertNothingLeftOfSession(String sessionId) {
        String label = ResourceLabels.SESSION;
        assertThat(control.pods().inNamespace(NAMESPACE).withLabel(label, sessionId).list().getItems()).as("Pods of session %s", sessionId).isEmpty();
        assertThat(control.network().v1().networkPolicies().inNamespace(NAMESPACE).withLabel(label, sessionId).list().getItems())
                .as("NetworkPolicies of session %s", sessionId).isEmpty();
        assertThat(control.genericKubernetesResources(AgentSandboxApi.CLAIMS).inNamespace(NAMESPACE).withLabel(label, sessionId).list()
                .getItems()).as("SandboxClaims of session %s", sessionId).isEmpty();
    }

    void assertNothingLeftOf(String sandboxId) {
        String label = ResourceLabels.SANDBOX_ID;
        assertThat(control.pods().inNamespace(NAMESPACE).withLabel(label, sandboxId).list().getItems()).as("Pods of %s", sandboxId).isEmpty();
        assertThat(control.network().v1().networkPolicies().inNamespace(NAMESPACE).withLabel(label, sandboxId).list().getItems())
                .as("NetworkPolicies of %s", sandboxId).isEmpty();
        assertThat(control.genericKubernetesResources(AgentSandboxApi.CLAIMS).inNamespace(NAMESPACE).withLabel(label, sandboxId).list().getItems())
                .as("SandboxClaims of %s", sandboxId).isEmpty();
        // The garbage collector's work is asynchronous on a real cluster too: give the stand-in a bounded while.
        org.awaitility.Awaitility.await().atMost(dev.devs.sandbox.tck.Patience.seconds(5))
                .pollInterval(java.time.Duration.ofMillis(50)).untilAsserted(() ->
                        assertThat(controller.resourcesOwnedBy(PodManifest.name(sandboxId)))
                                .as("Sandboxes and Pods of the claim of %s", sandboxId).isEmpty());
    }

    @Override
    public void afterAll(ExtensionContext context) {
        close();
    }

    @Override
    public void close() {
        controller.close();
        kubelet.close();
        exec.close();
        client.close();
        control.close();
        server.destroy();
    }
}
