package dev.devs.sandbox.kubernetes;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * STAND-IN for the kubernetes-sigs/agent-sandbox controller (none can run here). A {@code SandboxWarmPool} gets its
 * replicas as Sandboxes (launch type {@code warm}) with Pods the {@link KubeletStandIn} makes Ready. A
 * {@code SandboxClaim} adopts a ready warm Sandbox of its template if there is one, else gets a new Sandbox and Pod
 * (launch type {@code cold}); once that Pod is Ready the claim's status names the Sandbox and its Ready condition turns
 * True. A claim of a missing template gets Ready=False/TemplateNotFound. Deleting a claim deletes its Sandbox and Pod,
 * as the garbage collector does for owned objects.
 */
final class SandboxControllerStandIn implements AutoCloseable {

    static final ResourceDefinitionContext TEMPLATES = new ResourceDefinitionContext.Builder()
            .withGroup("extensions.agents.x-k8s.io").withVersion("v1alpha1").withKind("SandboxTemplate").withPlural("sandboxtemplates")
            .withNamespaced(true).build();
    static final ResourceDefinitionContext WARM_POOLS = new ResourceDefinitionContext.Builder()
            .withGroup("extensions.agents.x-k8s.io").withVersion("v1alpha1").withKind("SandboxWarmPool").withPlural("sandboxwarmpools")
            .withNamespaced(true).build();
    private static final String POOL_LABEL = "agents.x-k8s.io/pool";
    private static final String TEMPLATE_LABEL = "agents.x-k8s.io/sandbox-template";

    private final KubernetesClient client;
    private final String namespace;
    private final ExecutorService worker = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "agent-sandbox-controller-stand-in");
        t.setDaemon(true);
        return t;
    });
    private final List<SharedIndexInformer<GenericKubernetesResource>> informers = new ArrayList<>();

    SandboxControllerStandIn(KubernetesClient client, String namespace) {
        this.client = client;
        this.namespace = namespace;
        informers.add(client.genericKubernetesResources(WARM_POOLS).inNamespace(namespace).inform(onAdd(this::fillPool)));
        informers.add(client.genericKubernetesResources(AgentSandboxApi.CLAIMS).inNamespace(namespace).inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(GenericKubernetesResource claim) {
                worker.submit(() -> reconcile(claim));
            }

            @Override
            public void onUpdate(GenericKubernetesResource before, GenericKubernetesResource after) {
            }

            @Override
            public void onDelete(GenericKubernetesResource claim, boolean unknown) {
                worker.submit(() -> collect(claim.getMetadata().getName()));
            }
        }));
    }

    /** A SandboxTemplate whose Pods run {@code image} with {@code command}. */
    void createTemplate(String name, String image, List<String> command) {
        Map<String, Object> container = new LinkedHashMap<>();
        container.put("name", "agent");
        container.put("image", image);
        container.put("command", command);
        client.genericKubernetesResources(TEMPLATES).inNamespace(namespace).resource(new GenericKubernetesResourceBuilder()
                .withApiVersion("extensions.agents.x-k8s.io/v1alpha1").withKind("SandboxTemplate")
                .withNewMetadata().withName(name).endMetadata()
                .addToAdditionalProperties("spec", Map.of("podTemplate", Map.of("spec", Map.of("containers", List.of(container)))))
                .build()).create();
    }

    /** A SandboxWarmPool of {@code replicas} ready sandboxes of the template. */
    void createWarmPool(String name, String template, int replicas) {
        client.genericKubernetesResources(WARM_POOLS).inNamespace(namespace).resource(new GenericKubernetesResourceBuilder()
                .withApiVersion("extensions.agents.x-k8s.io/v1alpha1").withKind("SandboxWarmPool")
                .withNewMetadata().withName(name).endMetadata()
                .addToAdditionalProperties("spec", Map.of("replicas", replicas, "sandboxTemplateRef", Map.of("name", template)))
                .build()).create();
    }

    /** How many Sandboxes of the pool are ready and not yet adopted. */
    long idleWarmSandboxes(String pool) {
        return sandboxes().withLabel(POOL_LABEL, pool).list().getItems().stream().filter(s -> owner(s).isEmpty()).count();
    }

    /** Whether every idle Sandbox of the pool has a Ready Pod. */
    boolean warmPoolReady(String pool) {
        return sandboxes().withLabel(POOL_LABEL, pool).list().getItems().stream().filter(s -> owner(s).isEmpty())
                .allMatch(s -> isReady(podOf(s)));
    }

    /** Names of the Sandboxes and Pods that still belong to the claim. */
    List<String> resourcesOwnedBy(String claim) {
        List<String> owned = new ArrayList<>();
        for (GenericKubernetesResource s : sandboxes().list().getItems()) {
            if (owner(s).filter(claim::equals).isPresent()) {
                owned.add("Sandbox " + s.getMetadata().getName());
                if (client.pods().inNamespace(namespace).withName(podOf(s)).get() != null) {
                    owned.add("Pod " + podOf(s));
                }
            }
        }
        return owned;
    }

    private void fillPool(GenericKubernetesResource pool) {
        Map<?, ?> spec = (Map<?, ?>) pool.getAdditionalProperties().get("spec");
        String template = (String) ((Map<?, ?>) spec.get("sandboxTemplateRef")).get("name");
        int replicas = ((Number) spec.get("replicas")).intValue();
        for (int i = 0; i < replicas; i++) {
            String name = pool.getMetadata().getName() + "-" + Long.toHexString(System.nanoTime() & 0xfffff);
            newSandbox(name, template, "warm", Map.of(POOL_LABEL, pool.getMetadata().getName()), null);
        }
    }

    private void reconcile(GenericKubernetesResource claim) {
        String claimName = claim.getMetadata().getName();
        Map<?, ?> spec = (Map<?, ?>) claim.getAdditionalProperties().get("spec");
        String template = (String) ((Map<?, ?>) spec.get("sandboxTemplateRef")).get("name");
        try {
            if (client.genericKubernetesResources(TEMPLATES).inNamespace(namespace).withName(template).get() == null) {
                setStatus(claimName, null, "False", "TemplateNotFound", "SandboxTemplate.extensions.agents.x-k8s.io \"" + template + "\" not found");
                return;
            }
            OwnerReference owner = new OwnerReferenceBuilder().withApiVersion("extensions.agents.x-k8s.io/v1alpha1").withKind("SandboxClaim")
                    .withName(claimName).withUid(claim.getMetadata().getUid()).withController(true).build();
            Optional<GenericKubernetesResource> warm = sandboxes().withLabel(TEMPLATE_LABEL, template).list().getItems().stream()
                    .filter(s -> owner(s).isEmpty() && "warm".equals(s.getMetadata().getLabels().get(AgentSandboxApi.LAUNCH_TYPE_LABEL)))
                    .filter(s -> isReady(podOf(s)))
                    .findFirst();
            String sandbox;
            if (warm.isPresent()) {
                sandbox = warm.get().getMetadata().getName();
                String pod = podOf(warm.get());
                sandboxes().withName(sandbox).edit(s -> {
                    s.getMetadata().setOwnerReferences(List.of(owner));
                    s.getMetadata().getAnnotations().put(AgentSandboxApi.POD_NAME_ANNOTATION, pod);
                    return s;
                });
            } else {
                sandbox = claimName;
                newSandbox(sandbox, template, "cold", Map.of(), owner);
            }
            String pod = podOf(sandboxes().withName(sandbox).get());
            client.pods().inNamespace(namespace).withName(pod).informOnCondition(pods -> !pods.isEmpty() && isReady(pods.get(0)))
                    .get(30, TimeUnit.SECONDS);
            setStatus(claimName, sandbox, "True", "SandboxReady", "Sandbox is ready");
        } catch (KubernetesClientException e) {
            // The claim went away while being reconciled.
        } catch (Exception e) {
            setStatus(claimName, null, "False", "ReconcilerError", e.toString());
        }
    }

    private void newSandbox(String name, String template, String launchType, Map<String, String> extraLabels, OwnerReference owner) {
        GenericKubernetesResource tpl = client.genericKubernetesResources(TEMPLATES).inNamespace(namespace).withName(template).get();
        Map<?, ?> podTemplate = (Map<?, ?>) ((Map<?, ?>) tpl.getAdditionalProperties().get("spec")).get("podTemplate");
        Map<String, String> labels = new LinkedHashMap<>(extraLabels);
        labels.put(AgentSandboxApi.LAUNCH_TYPE_LABEL, launchType);
        labels.put(TEMPLATE_LABEL, template);
        GenericKubernetesResource sandbox = sandboxes().resource(new GenericKubernetesResourceBuilder()
                .withApiVersion("agents.x-k8s.io/v1alpha1").withKind("Sandbox")
                .withNewMetadata().withName(name).withLabels(labels).withAnnotations(new LinkedHashMap<>())
                    .withOwnerReferences(owner == null ? List.of() : List.of(owner)).endMetadata()
                .addToAdditionalProperties("spec", Map.of("podTemplate", podTemplate))
                .build()).create();
        PodSpec podSpec = client.getKubernetesSerialization().convertValue(podTemplate.get("spec"), PodSpec.class);
        client.pods().inNamespace(namespace).resource(new PodBuilder()
                .withNewMetadata().withName(name).addToLabels("agents.x-k8s.io/sandbox-name-hash", Integer.toHexString(name.hashCode()))
                    .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion("agents.x-k8s.io/v1alpha1").withKind("Sandbox")
                        .withName(name).withUid(sandbox.getMetadata().getUid()).withController(true).build()).endMetadata()
                .withSpec(podSpec)
                .build()).create();
    }

    /** The garbage collector's part: a deleted claim's Sandbox and Pod go too. */
    private void collect(String claim) {
        for (GenericKubernetesResource s : sandboxes().list().getItems()) {
            if (owner(s).filter(claim::equals).isPresent()) {
                client.pods().inNamespace(namespace).withName(podOf(s)).withGracePeriod(0).delete();
                sandboxes().withName(s.getMetadata().getName()).delete();
            }
        }
    }

    private void setStatus(String claim, String sandbox, String ready, String reason, String message) {
        Map<String, Object> condition = new LinkedHashMap<>();
        condition.put("type", "Ready");
        condition.put("status", ready);
        condition.put("reason", reason);
        condition.put("message", message);
        condition.put("lastTransitionTime", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("conditions", List.of(condition));
        if (sandbox != null) {
            status.put("sandbox", Map.of("name", sandbox));
        }
        try {
            client.genericKubernetesResources(AgentSandboxApi.CLAIMS).inNamespace(namespace).withName(claim).editStatus(c -> {
                c.setAdditionalProperty("status", status);
                return c;
            });
        } catch (KubernetesClientException e) {
            // Deleted meanwhile.
        }
    }

    private boolean isReady(String pod) {
        Pod p = client.pods().inNamespace(namespace).withName(pod).get();
        return p != null && isReady(p);
    }

    private static boolean isReady(Pod pod) {
        return pod.getStatus() != null && pod.getStatus().getConditions() != null && pod.getStatus().getConditions().stream()
                .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    private static String podOf(GenericKubernetesResource sandbox) {
        Map<String, String> annotations = sandbox.getMetadata().getAnnotations();
        String pod = annotations == null ? null : annotations.get(AgentSandboxApi.POD_NAME_ANNOTATION);
        return pod != null ? pod : sandbox.getMetadata().getName();
    }

    private static Optional<String> owner(GenericKubernetesResource sandbox) {
        return sandbox.getMetadata().getOwnerReferences() == null ? Optional.empty()
                : sandbox.getMetadata().getOwnerReferences().stream().filter(o -> "SandboxClaim".equals(o.getKind()))
                        .map(OwnerReference::getName).findFirst();
    }

    private io.fabric8.kubernetes.client.dsl.NonNamespaceOperation<GenericKubernetesResource, io.fabric8.kubernetes.api.model.GenericKubernetesResourceList,
            io.fabric8.kubernetes.client.dsl.Resource<GenericKubernetesResource>> sandboxes() {
        return client.genericKubernetesResources(AgentSandboxApi.SANDBOXES).inNamespace(namespace);
    }

    private ResourceEventHandler<GenericKubernetesResource> onAdd(java.util.function.Consumer<GenericKubernetesResource> action) {
        return new ResourceEventHandler<>() {
            @Override
            public void onAdd(GenericKubernetesResource r) {
                worker.submit(() -> action.accept(r));
            }

            @Override
            public void onUpdate(GenericKubernetesResource before, GenericKubernetesResource after) {
            }

            @Override
            public void onDelete(GenericKubernetesResource r, boolean unknown) {
            }
        };
    }

    @Override
    public void close() {
        informers.forEach(SharedIndexInformer::close);
        worker.shutdownNow();
    }
}
