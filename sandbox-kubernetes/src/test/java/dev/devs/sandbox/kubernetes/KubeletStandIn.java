package dev.devs.sandbox.kubernetes;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.io.IOException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * STAND-IN for the scheduler and the kubelet of one node (none can run here). It watches the Pods of a namespace on
 * the mock API server and moves each new one through the status transitions a real node reports: PodScheduled, then
 * the image (already present, pulled, or ErrImagePull then ImagePullBackOff with a Warning event), then a running
 * container and Initialized/ContainersReady/Ready, each with its timestamp. A Pod whose limits exceed the node stays
 * Pending with PodScheduled=False/Unschedulable and the scheduler's message. Readiness probes run as local processes.
 * Nothing timed against it is a latency of Kubernetes.
 */
final class KubeletStandIn implements AutoCloseable {

    static final String NODE = "standin-node-1";
    static final Quantity NODE_MEMORY = new Quantity("8Gi");
    static final Quantity NODE_CPU = new Quantity("4");
    /** Images with this in their name are in no registry: the pull fails. */
    static final String MISSING_IMAGE_MARK = "does-not-exist";
    /** Said by every message the stand-in writes into the cluster's state (events, conditions, container states). */
    static final String SAYS = " [kubelet test stand-in]";

    private final KubernetesClient client;
    private final String namespace;
    private final Set<String> imagesOnNode = ConcurrentHashMap.newKeySet();
    private final Set<String> running = ConcurrentHashMap.newKeySet();
    private final ExecutorService worker = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "kubelet-stand-in");
        t.setDaemon(true);
        return t;
    });
    private final SharedIndexInformer<Pod> informer;

    KubeletStandIn(KubernetesClient client, String namespace) {
        this.client = client;
        this.namespace = namespace;
        this.informer = client.pods().inNamespace(namespace).inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Pod pod) {
                worker.submit(() -> drive(pod));
            }

            @Override
            public void onUpdate(Pod oldPod, Pod newPod) {
            }

            @Override
            public void onDelete(Pod pod, boolean deletedFinalStateUnknown) {
                running.remove(pod.getMetadata().getName());
            }
        });
    }

    /** Puts an image in the node's cache, so that the next Pod with it starts without a pull. */
    void preload(String image) {
        imagesOnNode.add(image);
    }

    /**
     * The container of a running Pod ends by itself, as a kubelet reports it with restartPolicy Never: terminated with
     * {@code exitCode} and {@code reason} (e.g. 1 and Error, or 137 and OOMKilled), the Pod Failed and no longer Ready.
     */
    void containerEnds(String pod, int exitCode, String reason) {
        running.remove(pod);
        client.pods().inNamespace(namespace).withName(pod).editStatus(p -> new PodBuilder(p).editStatus()
                .withPhase("Failed")
                .withConditions(notReady(p, "PodFailed"))
                .withContainerStatuses(new ContainerStatusBuilder(p.getStatus().getContainerStatuses().get(0)).withReady(false)
                        .withStarted(false).withNewState().withNewTerminated().withExitCode(exitCode).withReason(reason)
                        .withMessage(reason + SAYS).withStartedAt(now()).withFinishedAt(now()).endTerminated().endState().build())
                .endStatus().build());
        event(client.pods().inNamespace(namespace).withName(pod).get(), "Warning", reason, "Container ended: exit code " + exitCode);
    }

    /** The node evicts a running Pod, as the kubelet does under memory pressure: Failed, reason Evicted, container killed. */
    void evict(String pod) {
        running.remove(pod);
        String message = "The node was low on resource: memory. Threshold quantity: 100Mi, available: 42Mi." + SAYS;
        client.pods().inNamespace(namespace).withName(pod).editStatus(p -> new PodBuilder(p).editStatus()
                .withPhase("Failed").withReason("Evicted").withMessage(message)
                .withConditions(notReady(p, "PodFailed"))
                .withContainerStatuses(new ContainerStatusBuilder(p.getStatus().getContainerStatuses().get(0)).withReady(false)
                        .withStarted(false).withNewState().withNewTerminated().withExitCode(137).withReason("ContainerStatusUnknown")
                        .withMessage("The container could not be located when the pod was terminated" + SAYS).endTerminated().endState()
                        .build())
                .endStatus().build());
        event(client.pods().inNamespace(namespace).withName(pod).get(), "Warning", "Evicted", message);
    }

    private static List<PodCondition> notReady(Pod p, String reason) {
        List<PodCondition> conditions = new ArrayList<>();
        for (PodCondition c : p.getStatus().getConditions()) {
            boolean readiness = c.getType().equals("Ready") || c.getType().equals("ContainersReady");
            conditions.add(readiness ? condition(c.getType(), "False", reason, "the Pod ended" + SAYS) : c);
        }
        return conditions;
    }

    boolean isRunning(String ns, String pod) {
        return namespace.equals(ns) && running.contains(pod);
    }

    private void drive(Pod pod) {
        String name = pod.getMetadata().getName();
        try {
            if (exceedsNode(pod)) {
                status(name, pending(condition("PodScheduled", "False", "Unschedulable",
                        "0/1 nodes are available: 1 Insufficient memory. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod." + SAYS)),
                        null);
                return;
            }
            client.pods().inNamespace(namespace).withName(name).edit(p -> new PodBuilder(p).editSpec().withNodeName(NODE).endSpec().build());
            Container container = pod.getSpec().getContainers().get(0);
            String image = container.getImage();
            List<PodCondition> scheduled = new ArrayList<>(List.of(condition("PodScheduled", "True", null, null)));
            status(name, scheduled, waiting(container, "ContainerCreating", null));
            if (!imagesOnNode.contains(image)) {
                event(pod, "Normal", "Pulling", "Pulling image \"" + image + "\"");
                if (image.contains(MISSING_IMAGE_MARK)) {
                    String why = "rpc error: code = NotFound desc = failed to pull and unpack image \"" + image + "\": not found";
                    event(pod, "Warning", "Failed", "Failed to pull image \"" + image + "\": " + why);
                    status(name, scheduled, waiting(container, "ErrImagePull", why));
                    event(pod, "Warning", "BackOff", "Back-off pulling image \"" + image + "\"");
                    status(name, scheduled, waiting(container, "ImagePullBackOff", "Back-off pulling image \"" + image + "\""));
                    return;
                }
                imagesOnNode.add(image);
                event(pod, "Normal", "Pulled", "Successfully pulled image \"" + image + "\" in 5ms (5ms including waiting). Image size: 2000000 bytes.");
            } else {
                event(pod, "Normal", "Pulled", "Container image \"" + image + "\" already present on machine");
            }
            event(pod, "Normal", "Created", "Created container: " + container.getName());
            event(pod, "Normal", "Started", "Started container " + container.getName());
            running.add(name);
            ContainerStatus started = new ContainerStatusBuilder().withName(container.getName()).withImage(image)
                    .withImageID("docker.io/library/" + image + "@sha256:" + UUID.randomUUID().toString().replace("-", ""))
                    .withReady(false).withStarted(true)
                    .withNewState().withNewRunning().withStartedAt(now()).endRunning().endState().build();
            List<PodCondition> initialized = new ArrayList<>(scheduled);
            initialized.add(condition("Initialized", "True", null, null));
            List<PodCondition> notReady = new ArrayList<>(initialized);
            notReady.add(condition("ContainersReady", "False", "ContainersNotReady", "containers with unready status: [" + container.getName() + "]" + SAYS));
            notReady.add(condition("Ready", "False", "ContainersNotReady", "containers with unready status: [" + container.getName() + "]" + SAYS));
            status(name, notReady, started, "Running");
            awaitProbe(name, container);
            List<PodCondition> ready = new ArrayList<>(initialized);
            ready.add(condition("ContainersReady", "True", null, null));
            ready.add(condition("Ready", "True", null, null));
            status(name, ready, new ContainerStatusBuilder(started).withReady(true).build(), "Running");
        } catch (KubernetesClientException e) {
            // The Pod was deleted while it was being driven: a real kubelet stops too.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Runs the container's exec readiness probe, if any, every 50 ms until it exits 0 or the Pod is gone. */
    private void awaitProbe(String name, Container container) throws InterruptedException {
        if (container.getReadinessProbe() == null || container.getReadinessProbe().getExec() == null) {
            return;
        }
        while (running.contains(name)) {
            try {
                if (new ProcessBuilder(container.getReadinessProbe().getExec().getCommand()).start().waitFor() == 0) {
                    return;
                }
            } catch (IOException e) {
                // Like a probe whose binary is missing: it fails, the Pod stays unready.
            }
            TimeUnit.MILLISECONDS.sleep(50);
        }
        throw new KubernetesClientException("pod " + name + " deleted");
    }

    private boolean exceedsNode(Pod pod) {
        var limits = pod.getSpec().getContainers().get(0).getResources() == null ? null
                : pod.getSpec().getContainers().get(0).getResources().getLimits();
        if (limits == null) {
            return false;
        }
        Quantity memory = limits.get("memory");
        Quantity cpu = limits.get("cpu");
        return memory != null && memory.getNumericalAmount().compareTo(NODE_MEMORY.getNumericalAmount()) > 0
                || cpu != null && cpu.getNumericalAmount().compareTo(NODE_CPU.getNumericalAmount()) > 0;
    }

    private List<PodCondition> pending(PodCondition condition) {
        return List.of(condition);
    }

    private void status(String name, List<PodCondition> conditions, ContainerStatus container) {
        status(name, conditions, container, "Pending");
    }

    private void status(String name, List<PodCondition> conditions, ContainerStatus container, String phase) {
        client.pods().inNamespace(namespace).withName(name).editStatus(p -> new PodBuilder(p).editOrNewStatus()
                .withPhase(phase)
                .withConditions(conditions)
                .withContainerStatuses(container == null ? List.of() : List.of(container))
                .withPodIP(container == null ? null : "10.244.0." + (Math.abs(name.hashCode()) % 250 + 2))
                .withStartTime(p.getStatus() != null && p.getStatus().getStartTime() != null ? p.getStatus().getStartTime() : now())
                .endStatus().build());
    }

    private static ContainerStatus waiting(Container container, String reason, String message) {
        return new ContainerStatusBuilder().withName(container.getName()).withImage(container.getImage()).withImageID("")
                .withReady(false).withStarted(false)
                .withNewState().withNewWaiting().withReason(reason).withMessage(message == null ? null : message + SAYS)
                .endWaiting().endState().build();
    }

    private static PodCondition condition(String type, String status, String reason, String message) {
        return new PodConditionBuilder().withType(type).withStatus(status).withReason(reason).withMessage(message)
                .withLastTransitionTime(now()).build();
    }

    private void event(Pod pod, String type, String reason, String message) {
        client.v1().events().inNamespace(namespace).resource(new EventBuilder()
                .withNewMetadata().withName(pod.getMetadata().getName() + "." + Long.toHexString(System.nanoTime())).endMetadata()
                .withNewInvolvedObject().withKind("Pod").withApiVersion("v1").withNamespace(namespace)
                    .withName(pod.getMetadata().getName()).withUid(pod.getMetadata().getUid()).endInvolvedObject()
                .withType(type).withReason(reason).withMessage(message + SAYS)
                .withNewSource().withComponent("kubelet").withHost(NODE).endSource()
                .withFirstTimestamp(now()).withLastTimestamp(now()).withCount(1)
                .build()).create();
    }

    private static String now() {
        return Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    }

    @Override
    public void close() {
        informer.close();
        worker.shutdownNow();
    }

}
