package dev.devs.sandbox.kubernetes;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The parts of kubernetes-sigs/agent-sandbox's API this driver uses: {@code SandboxClaim}
 * ({@code extensions.agents.x-k8s.io/v1alpha1}, which names a {@code SandboxTemplate}) and {@code Sandbox}
 * ({@code agents.x-k8s.io/v1alpha1}). Read as generic resources, so that the driver needs no generated model.
 */
final class AgentSandboxApi {

    static final ResourceDefinitionContext CLAIMS = new ResourceDefinitionContext.Builder()
            .withGroup("extensions.agents.x-k8s.io").withVersion("v1alpha1").withKind("SandboxClaim").withPlural("sandboxclaims")
            .withNamespaced(true).build();
    static final ResourceDefinitionContext SANDBOXES = new ResourceDefinitionContext.Builder()
            .withGroup("agents.x-k8s.io").withVersion("v1alpha1").withKind("Sandbox").withPlural("sandboxes")
            .withNamespaced(true).build();
    /** The RBAC resource names, for error messages. */
    static final String CLAIMS_RESOURCE = "sandboxclaims.extensions.agents.x-k8s.io";
    static final String SANDBOXES_RESOURCE = "sandboxes.agents.x-k8s.io";
    /** The controller's label on a Sandbox: {@code warm} when it came from a SandboxWarmPool, {@code cold} when created for the claim. */
    static final String LAUNCH_TYPE_LABEL = "agents.x-k8s.io/launch-type";
    /** The controller's annotation on a Sandbox adopted from a warm pool: the name of its Pod. */
    static final String POD_NAME_ANNOTATION = "agents.x-k8s.io/pod-name";

    private AgentSandboxApi() {
    }

    static MixedOperation<GenericKubernetesResource, GenericKubernetesResourceList, Resource<GenericKubernetesResource>> claims(
            KubernetesClient client) {
        return client.genericKubernetesResources(CLAIMS);
    }

    static MixedOperation<GenericKubernetesResource, GenericKubernetesResourceList, Resource<GenericKubernetesResource>> sandboxes(
            KubernetesClient client) {
        return client.genericKubernetesResources(SANDBOXES);
    }

    /** The claim's condition of {@code type} as its map ({@code status}, {@code reason}, {@code message}), if any. */
    @SuppressWarnings("unchecked")
    static Optional<Map<String, Object>> condition(GenericKubernetesResource claim, String type) {
        Object status = claim.getAdditionalProperties().get("status");
        if (!(status instanceof Map<?, ?> s) || !(s.get("conditions") instanceof List<?> conditions)) {
            return Optional.empty();
        }
        return conditions.stream()
                .filter(c -> c instanceof Map<?, ?> m && type.equals(m.get("type")))
                .map(c -> (Map<String, Object>) c)
                .findFirst();
    }

    /** {@code status.sandbox.name}: the Sandbox the controller bound to the claim, if yet. */
    static Optional<String> sandboxName(GenericKubernetesResource claim) {
        Object status = claim.getAdditionalProperties().get("status");
        if (status instanceof Map<?, ?> s && s.get("sandbox") instanceof Map<?, ?> sandbox && sandbox.get("name") instanceof String name
                && !name.isEmpty()) {
            return Optional.of(name);
        }
        return Optional.empty();
    }
}
