package dev.devs.sandbox.kubernetes;

import dev.devs.sandbox.SandboxRuntimeUnavailableException;
import dev.devs.sandbox.SandboxStartException;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.io.InterruptedIOException;

/**
 * Turns what the API server (or the way to it) answered into an exception whose message names the bad value and
 * what to do: a namespace that does not exist, a verb RBAC does not allow, a server that cannot be reached.
 */
final class ApiErrors {

    private final String namespace;
    private final String server;

    /**
     * @param namespace the namespace the driver works in
     * @param server    the API server and how it was chosen, e.g. {@code https://10.0.0.1:6443 (context 'kind-devs')}
     */
    ApiErrors(String namespace, String server) {
        this.namespace = namespace;
        this.server = server;
    }

    String server() {
        return server;
    }

    /**
     * The exception for a failed call of a start.
     *
     * @param verb     the RBAC verb of the call, e.g. {@code create}
     * @param resource the RBAC resource, e.g. {@code pods} or {@code sandboxclaims.extensions.agents.x-k8s.io}
     */
    SandboxStartException starting(String sandboxId, String verb, String resource, KubernetesClientException e) {
        if (isUnreachable(e)) {
            return new SandboxRuntimeUnavailableException(sandboxId, "the Kubernetes API server at " + server
                    + " could not be reached (" + rootMessage(e) + "): point the driver at a reachable cluster with KUBECONFIG,"
                    + " a kubeconfig context, or KubernetesDriver.builder().client(...); see docs/kubernetes.md", e);
        }
        if (e.getCode() == 403) {
            return new SandboxStartException(sandboxId, "forbidden: RBAC does not allow verb '" + verb + "' on resource '" + resource
                    + "' in namespace '" + namespace + "' at " + server + " (" + statusMessage(e) + "); bind the driver's identity to"
                    + " the Role in docs/kubernetes.md", e);
        }
        if (e.getCode() == 404 && isNamespaceMissing(e)) {
            return new SandboxStartException(sandboxId, "namespace '" + namespace + "' not found at " + server + ": create it"
                    + " (kubectl create namespace " + namespace + ") or name an existing one with KubernetesDriver.builder().namespace(...)", e);
        }
        return new SandboxStartException(sandboxId, verb + " " + resource + " in namespace '" + namespace + "' at " + server
                + " failed: HTTP " + e.getCode() + " " + statusMessage(e), e);
    }

    static boolean isUnreachable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof IOException && !(t instanceof InterruptedIOException)) {
                return true;
            }
        }
        return false;
    }

    /** Whether the call was cut by an interrupt of the calling thread. */
    static boolean isInterrupt(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof InterruptedException || t instanceof InterruptedIOException) {
                return true;
            }
        }
        return false;
    }

    private boolean isNamespaceMissing(KubernetesClientException e) {
        Status status = e.getStatus();
        if (status != null && status.getDetails() != null && "namespaces".equals(status.getDetails().getKind())) {
            return true;
        }
        return statusMessage(e).contains("namespaces \"" + namespace + "\" not found");
    }

    private static String statusMessage(KubernetesClientException e) {
        Status status = e.getStatus();
        if (status != null && status.getMessage() != null) {
            return status.getMessage();
        }
        return String.valueOf(e.getMessage());
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    }
}
