package dev.devs.sandbox.kubernetes;

import dev.devs.sandbox.ImageNotFoundException;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.SandboxStartException;
import dev.devs.sandbox.spi.StartContext;
import dev.devs.sandbox.StartType;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

/**
 * Starts one sandbox as a Pod: NetworkPolicy and Pod created, then the Pod watched until its Ready condition is
 * true or its status says it cannot start. Phases are the Pod's own milestones as the watch delivers them.
 */
// "try": phase timers are try-with-resources whose variable is never read, by design of PhaseRecorder.
@SuppressWarnings("try")
final class PodStarter {

    private static final Duration DIAGNOSIS_TIMEOUT = Duration.ofSeconds(5);
    private static final int HTTP_GONE = 410;
    /** Watches of one start answered 410 Gone that are started again before the start fails. */
    private static final int MAX_WATCHES_GONE = 3;

    private final KubernetesDriver driver;
    private final KubernetesClient client;
    private final String namespace;

    PodStarter(KubernetesDriver driver) {
        this.driver = driver;
        this.client = driver.client();
        this.namespace = driver.namespace();
    }

    PodHandle start(SandboxSpec spec, StartContext ctx) throws InterruptedException {
        String id = ctx.sandboxId();
        String name = PodManifest.name(id);
        Map<String, String> labels = PodManifest.labels(spec, id, ctx.sessionId());
        boolean isolate = spec.network().equals("none");
        ctx.attribute("namespace", namespace);
        ctx.attribute("pod", name);
        ctx.attribute("image", spec.image());
        if (driver.runtimeClassName() != null) {
            ctx.attribute("runtimeClassName", driver.runtimeClassName());
        }
        try {
            if (Thread.interrupted()) {
                throw new InterruptedException("start of sandbox " + id + " was interrupted before its Pod was created");
            }
            long created;
            try (var p = ctx.phase("create")) {
                if (isolate) {
                    driver.call(ctx, ctx.remaining(), "create", "networkpolicies.networking.k8s.io",
                            () -> client.network().v1().networkPolicies().inNamespace(namespace).resource(PodManifest.denyAll(id, labels)).create());
                }
                driver.call(ctx, ctx.remaining(), "create", "pods", () -> client.pods().inNamespace(namespace)
                        .resource(PodManifest.pod(spec, id, labels, driver.runtimeClassName(), driver.maxLifetime(spec))).create());
                created = System.nanoTime();
            }
            Milestones seen = new Milestones();
            ctx.checkDeadline("schedule");
            List<Pod> last = null;
            for (int gone = 0; last == null; gone++) {
                try {
                    last = Watches.awaitStart(
                            client.pods().inNamespace(namespace).withName(name).informOnCondition(pods -> seen.observe(pods)),
                            ctx, seen::phaseAt, "Pod " + namespace + "/" + name + " to become Ready", seen::describe);
                } catch (KubernetesClientException e) {
                    // 410 Gone: the API server no longer has the version the watch was to start from (compacted). The
                    // informer fails its start on it instead of listing again; a fresh one lists and watches anew. A few
                    // times, so that a server that answers nothing else fails the start, naming the watch, at once.
                    if (e.getCode() != HTTP_GONE || gone >= MAX_WATCHES_GONE) {
                        throw driver.errors().starting(id, "watch", "pods", e);
                    }
                    ctx.checkDeadline("schedule");
                }
            }
            if (last.isEmpty()) {
                // Seen, then gone: deleted by someone else (or by the node) while it started.
                throw new SandboxStartException(id, "Pod " + namespace + "/" + name + " of sandbox " + id + " disappeared before"
                        + " it was ready (deleted by someone else, or evicted); last seen: " + seen.lastSeenBeforeDeletion());
            }
            Pod ready = last.get(0);
            seen.recordPhases(ctx, created);
            PodStatusView view = new PodStatusView(ready);
            if (!view.isReady()) {
                throw failure(ctx, spec, name, view);
            }
            view.milestoneTimes().forEach(ctx::attribute);
            if (ready.getSpec().getNodeName() != null) {
                ctx.attribute("node", ready.getSpec().getNodeName());
            }
            try (var p = ctx.phase("start-type")) {
                ctx.startType(imageWasPresent(ctx, name) ? StartType.WARM : StartType.COLD);
            }
            return new PodHandle(driver, id, name, isolate);
        } catch (RuntimeException e) {
            driver.removeQuietly(id, name, isolate, e);
            throw e;
        } catch (InterruptedException | Error e) {
            driver.removeQuietly(id, name, isolate, null);
            throw e;
        }
    }

    private SandboxStartException failure(StartContext ctx, SandboxSpec spec, String name, PodStatusView view) throws InterruptedException {
        String id = ctx.sandboxId();
        Optional<String> image = view.imageFailure();
        if (image.isPresent()) {
            return new ImageNotFoundException(id, spec.image(), "image '" + spec.image() + "' of sandbox " + id + " cannot be pulled: Pod "
                    + namespace + "/" + name + " is in " + image.get() + " (" + view.waitingMessage() + "); the kubelet said: "
                    + eventMessages(ctx, name, "Warning") + ". Check the image name and tag, and that the node can reach its registry"
                    + " (imagePullSecrets for a private one)", null);
        }
        Optional<String> unschedulable = view.unschedulable();
        if (unschedulable.isPresent()) {
            return new SandboxStartException(id, "Pod " + namespace + "/" + name + " of sandbox " + id + " cannot be scheduled: "
                    + unschedulable.get() + " (cpus " + spec.cpus() + ", memoryBytes " + spec.memoryBytes()
                    + (driver.runtimeClassName() == null ? "" : ", runtimeClassName " + driver.runtimeClassName())
                    + "); lower the limits or add capacity");
        }
        Optional<String> container = view.containerFailure();
        if (container.isPresent()) {
            return new SandboxStartException(id, "the container of Pod " + namespace + "/" + name + " cannot start: " + container.get()
                    + " (" + view.waitingMessage() + ")");
        }
        if (view.isTerminated()) {
            return new SandboxStartException(id, "Pod " + namespace + "/" + name + " of sandbox " + id + " ended before it was ready: "
                    + view.terminationSummary() + "; the kubelet said: " + eventMessages(ctx, name, null));
        }
        return new SandboxStartException(id, "Pod " + namespace + "/" + name + " of sandbox " + id + " disappeared before it was ready"
                + " (deleted by someone else, or evicted)");
    }

    /** Whether the kubelet found the image on the node ("Pulled" event without a pull), rather than pulling it. */
    private boolean imageWasPresent(StartContext ctx, String name) throws InterruptedException {
        return events(ctx, ctx.remaining(), name).stream()
                .anyMatch(e -> "Pulled".equals(e.getReason()) && e.getMessage() != null && e.getMessage().contains("already present"));
    }

    /** The Pod's events for a failure message; allowed a few seconds even when the startup timeout is spent. */
    private String eventMessages(StartContext ctx, String name, String type) throws InterruptedException {
        Duration bound = ctx.remaining().compareTo(DIAGNOSIS_TIMEOUT) > 0 ? ctx.remaining() : DIAGNOSIS_TIMEOUT;
        String messages = events(ctx, bound, name).stream()
                .filter(e -> type == null || type.equals(e.getType()))
                .map(e -> e.getReason() + ": " + e.getMessage())
                .distinct()
                .collect(Collectors.joining("; "));
        return messages.isEmpty() ? "(no events)" : messages;
    }

    private List<Event> events(StartContext ctx, Duration bound, String name) throws InterruptedException {
        List<Event> all = driver.call(ctx, bound, "list", "events", () -> client.v1().events().inNamespace(namespace)
                .withField("involvedObject.name", name).list().getItems());
        // The field selector is only a hint to the server: filter here as well.
        return all.stream()
                .filter(e -> e.getInvolvedObject() != null && name.equals(e.getInvolvedObject().getName()))
                .sorted(Comparator.comparing(e -> String.valueOf(e.getLastTimestamp())))
                .toList();
    }


    /**
     * When the watch first saw each milestone, written by the informer's thread and read by the starting thread
     * after the wait; the monotonic clock, so that phases add up with the provider's duration.
     */
    private static final class Milestones {
        private volatile long scheduled;
        private volatile long running;
        private volatile long ready;
        private volatile boolean seen;
        private final AtomicReference<String> last = new AtomicReference<>("not seen yet");
        private volatile String lastBeforeDeletion = "not seen yet";

        /** The informer's predicate: true once the Pod is Ready, cannot start, or is gone after being seen. */
        boolean observe(List<Pod> pods) {
            long now = System.nanoTime();
            if (pods.isEmpty()) {
                last.set(seen ? "deleted" : "not seen yet");
                return seen;
            }
            seen = true;
            PodStatusView view = new PodStatusView(pods.get(0));
            last.set(view.describe());
            lastBeforeDeletion = view.describe();
            if (view.isScheduled() && scheduled == 0) {
                scheduled = now;
            }
            if ((view.isRunning() || view.isReady()) && running == 0) {
                running = now;
            }
            if (view.isReady()) {
                ready = now;
                return true;
            }
            return view.imageFailure().isPresent() || view.unschedulable().isPresent() || view.containerFailure().isPresent()
                    || view.isTerminated();
        }

        String phaseAt() {
            return scheduled == 0 ? "schedule" : running == 0 ? "start" : "ready";
        }

        String describe() {
            return last.get();
        }

        String lastSeenBeforeDeletion() {
            return lastBeforeDeletion;
        }

        void recordPhases(StartContext ctx, long created) {
            if (ready == 0) {
                return;
            }
            long s = scheduled == 0 ? running : scheduled;
            long r = running == 0 ? ready : running;
            ctx.recordPhase("schedule", Math.max(0, s - created));
            ctx.recordPhase("start", Math.max(0, r - s));
            ctx.recordPhase("ready", Math.max(0, ready - r));
        }
    }
}
