package dev.devs.sandbox.kubernetes;

import dev.devs.sandbox.ImageNotFoundException;
import dev.devs.sandbox.ResourceLabels;
import dev.devs.sandbox.SandboxRuntimeUnavailableException;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.SandboxStartException;
import dev.devs.sandbox.SandboxTimeoutException;
import dev.devs.sandbox.StartType;
import dev.devs.sandbox.spi.SandboxDriver;
import dev.devs.sandbox.spi.StartContext;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * A {@link SandboxDriver} that runs sandboxes on a Kubernetes cluster through the fabric8 client, in one of two modes.
 *
 * <h2>Pod mode (the default)</h2>
 * One Pod {@code devs-<sandboxId>} per sandbox, from the spec, under Pod Security "restricted": non-root (the spec's
 * numeric user, {@code 65534:65534} by default), every capability dropped, no privilege escalation, a read-only root
 * file system, seccomp {@code RuntimeDefault}, memory-backed emptyDirs at the work directory, {@code /tmp} and the
 * scratch paths, the CPU and memory limits, no service account token, {@code restartPolicy: Never}, and
 * {@code activeDeadlineSeconds} set to the {@link Builder#maxLifetime maximum lifetime} (or the spec's
 * {@link SandboxSpec#maxLifetime()}, if shorter) so that the Pods of a dead owner end by themselves. Network {@code none} (the default) adds a deny-all NetworkPolicy selecting the Pod;
 * with {@link Builder#networkPolicies(boolean) networkPolicies(false)} such a spec is refused, since nothing else
 * would guarantee it. An optional {@link Builder#runtimeClassName runtimeClassName} (gVisor, Kata) is set on the Pod.
 * The pids limit cannot be set per Pod: the kubelet's {@code podPidsLimit} bounds it.
 *
 * <p>A start creates the NetworkPolicy and the Pod (phase {@code create}), then watches the Pod (never sleep-polls)
 * until its Ready condition is true; the phases {@code schedule}, {@code start} (image pull included) and
 * {@code ready} end when the watch delivers the Pod's PodScheduled condition, its running container and its Ready
 * condition (the Pod's own timestamps of them are the attributes {@code podScheduledAt}, {@code containerStartedAt},
 * {@code podReadyAt}). Then the Pod's events tell whether the kubelet pulled the image ({@link StartType#COLD}) or found it on
 * the node ({@link StartType#WARM}) (phase {@code start-type}). {@code stop()} deletes the Pod with the grace period,
 * waits on a watch until it is gone, then deletes the NetworkPolicy. {@code exec} goes through the exec subresource.
 *
 * <h2>Claim mode ({@link Builder#sandboxTemplate})</h2>
 * One kubernetes-sigs/agent-sandbox {@code SandboxClaim} {@code devs-<sandboxId>} per sandbox, naming the template;
 * the template decides image, command and security, the spec adds env and labels, and the claim's
 * {@code lifecycle.shutdownTime} carries the maximum lifetime. A start creates the claim ({@code create}), watches it
 * until Ready ({@code claim}), reads its Sandbox ({@code sandbox}): {@link StartType#POOLED} when the controller
 * served it from a {@code SandboxWarmPool} (launch type {@code warm}), {@link StartType#COLD} otherwise. A readiness
 * probe in the spec is exec'd until it exits 0 ({@code readiness}). {@code stop()} deletes the claim.
 *
 * <h2>Labels and failures</h2>
 * Every resource carries {@value ResourceLabels#MANAGED}=true, {@value ResourceLabels#SANDBOX_ID} and {@value ResourceLabels#SESSION}, plus
 * the spec's labels. A start that fails deletes what it created, then throws a {@link SandboxStartException} naming
 * the bad value: {@link ImageNotFoundException} for an image pull back-off (with the kubelet's event message) or a
 * missing template; {@link SandboxRuntimeUnavailableException} when the API server cannot be reached (naming the URL
 * and context tried); {@link SandboxTimeoutException} with the last status seen; and for a namespace that does not
 * exist, a verb RBAC forbids (naming verb and resource) or a Pod no node can take (with the scheduler's reason).
 *
 * <h2>Cluster</h2>
 * {@link #KubernetesDriver()} configures itself as kubectl does: {@code KUBECONFIG} or {@code ~/.kube/config} and its
 * current context, or, inside a Pod, the service account. Each API call of a start runs on the driver's own daemon
 * thread and is cut at the startup timeout (the client's own retries of a refused connection would outlast it);
 * the caller's thread is never interrupted. Thread-safe. {@link #close()} closes the client if the
 * driver made it.
 */
public final class KubernetesDriver implements SandboxDriver {

    /** The driver's name on events, reports and metric tags. */
    public static final String NAME = "kubernetes";

    private final KubernetesClient client;
    private final boolean ownsClient;
    private final String namespace;
    private final String runtimeClassName;
    private final String sandboxTemplate;
    private final Duration maxLifetime;
    private final boolean networkPolicies;
    private final ApiErrors errors;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final StartCalls calls;

    /** A Pod-mode driver for the cluster and namespace of the current kubeconfig context, or of the service account in a Pod. */
    public KubernetesDriver() {
        this(new Builder());
    }

    private KubernetesDriver(Builder b) {
        this.ownsClient = b.client == null;
        this.client = b.client != null ? b.client : new KubernetesClientBuilder().withConfig(b.config != null ? b.config : Config.autoConfigure(null)).build();
        Config config = client.getConfiguration();
        this.namespace = b.namespace != null ? b.namespace : config.getNamespace() != null ? config.getNamespace() : "default";
        this.runtimeClassName = b.runtimeClassName;
        this.sandboxTemplate = b.sandboxTemplate;
        this.maxLifetime = b.maxLifetime;
        this.networkPolicies = b.networkPolicies;
        String context = config.getCurrentContext() == null ? "no kubeconfig context: in-cluster or explicit configuration"
                : "kubeconfig context '" + config.getCurrentContext().getName() + "'";
        this.errors = new ApiErrors(namespace, config.getMasterUrl() + " (" + context + ")");
        this.calls = new StartCalls(errors, namespace);
    }

    /** A builder to choose the client or configuration, namespace, runtime class, maximum lifetime or claim mode. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String name() {
        return NAME;
    }

    /** The namespace every resource of this driver lives in. */
    public String namespace() {
        return namespace;
    }

    /** The API server and how it was chosen, as error messages name it. */
    public String server() {
        return errors.server();
    }

    /**
     * Rejects, before any API call, a spec this mode cannot honour. Pod mode: no image, network other than {@code none}
     * or {@code bridge} ({@code none} too without NetworkPolicies), a non-numeric or root user, labels Kubernetes
     * refuses. Claim mode: an image or command (the template decides them), labels Kubernetes refuses.
     *
     * @throws IllegalArgumentException naming the field, the value and what would be valid
     */
    @Override
    public void validate(SandboxSpec spec) {
        Objects.requireNonNull(spec, "spec");
        if (sandboxTemplate != null) {
            KubernetesSpecValidator.validateClaim(spec, sandboxTemplate);
        } else {
            KubernetesSpecValidator.validatePod(spec, networkPolicies);
        }
    }

    /**
     * Provisions a Pod or claims a sandbox, as the class comment describes, and returns once it is ready.
     *
     * @throws ImageNotFoundException             the image cannot be pulled, or the template does not exist
     * @throws SandboxRuntimeUnavailableException the API server cannot be reached
     * @throws SandboxTimeoutException            the startup timeout ran out
     * @throws SandboxStartException              namespace not found, forbidden, unschedulable, or the Pod ended
     */
    @Override
    public Handle start(SandboxSpec spec, StartContext ctx) throws InterruptedException {
        if (closed.get()) {
            throw new IllegalStateException("KubernetesDriver is closed");
        }
        validate(spec);
        return sandboxTemplate != null ? new ClaimStarter(this).start(spec, ctx) : new PodStarter(this).start(spec, ctx);
    }

    /** Stops the driver's API-call threads and closes the client if this driver made it (a given client stays its owner's). Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            calls.close();
            if (ownsClient) {
                client.close();
            }
        }
    }

    @Override
    public String toString() {
        return "KubernetesDriver[" + server() + ", namespace " + namespace + (sandboxTemplate == null ? "" : ", template " + sandboxTemplate) + "]";
    }

    KubernetesClient client() {
        return client;
    }

    String runtimeClassName() {
        return runtimeClassName;
    }

    String sandboxTemplate() {
        return sandboxTemplate;
    }

    Duration maxLifetime() {
        return maxLifetime;
    }

    /** The shorter of the driver's and the spec's {@link SandboxSpec#maxLifetime()}: both are promises to keep. */
    Duration maxLifetime(SandboxSpec spec) {
        return spec.maxLifetime().compareTo(maxLifetime) < 0 ? spec.maxLifetime() : maxLifetime;
    }

    ApiErrors errors() {
        return errors;
    }

    /** Runs one API call of a start, bounded by {@code bound}; see {@link StartCalls#call}. */
    <T> T call(StartContext ctx, Duration bound, String verb, String resource, Supplier<T> call) throws InterruptedException {
        return calls.call(ctx, bound, verb, resource, call);
    }

    /** After a failed start: deletes the Pod at once and its NetworkPolicy, also when the start was interrupted. */
    void removeQuietly(String sandboxId, String name, boolean networkPolicy, RuntimeException failure) {
        calls.cleanUp(sandboxId, failure, () -> {
            client.pods().inNamespace(namespace).withName(name).withGracePeriod(0).delete();
            if (networkPolicy) {
                client.network().v1().networkPolicies().inNamespace(namespace).withName(name).delete();
            }
        });
    }

    /** After a failed claim: deletes the claim, also when the start was interrupted. */
    void deleteClaimQuietly(String sandboxId, String name, RuntimeException failure) {
        calls.cleanUp(sandboxId, failure, () -> AgentSandboxApi.claims(client).inNamespace(namespace).withName(name).delete());
    }

    /** Chooses the cluster, namespace and mode; every setting is optional. Not thread-safe. */
    public static final class Builder {
        private KubernetesClient client;
        private Config config;
        private String namespace;
        private String runtimeClassName;
        private String sandboxTemplate;
        private Duration maxLifetime = SandboxSpec.DEFAULT_MAX_LIFETIME;
        private boolean networkPolicies = true;

        private Builder() {
        }

        /** Uses this client (not closed by the driver) instead of making one; overrides {@link #config}. */
        public Builder client(KubernetesClient client) {
            this.client = Objects.requireNonNull(client, "client");
            return this;
        }

        /** Makes the client from this configuration (e.g. {@code Config.fromKubeconfig(...)}) instead of auto-configuring. */
        public Builder config(Config config) {
            this.config = Objects.requireNonNull(config, "config");
            return this;
        }

        /** The namespace for every resource; default: the configuration's (the kubeconfig context's or the service account's), else {@code default}. */
        public Builder namespace(String namespace) {
            this.namespace = requireDnsLabel("namespace", namespace);
            return this;
        }

        /** A RuntimeClass for every Pod, e.g. {@code gvisor} or {@code kata}; default none (the node's default runtime). */
        public Builder runtimeClassName(String runtimeClassName) {
            this.runtimeClassName = requireDnsLabel("runtimeClassName", runtimeClassName);
            return this;
        }

        /** Claim mode: claim every sandbox from this {@code SandboxTemplate} instead of creating a Pod. */
        public Builder sandboxTemplate(String sandboxTemplate) {
            this.sandboxTemplate = requireDnsLabel("sandboxTemplate", sandboxTemplate);
            return this;
        }

        /**
         * The longest a sandbox may live (Pod {@code activeDeadlineSeconds}, claim {@code shutdownTime}); whole seconds, at
         * least 1; default {@link SandboxSpec#DEFAULT_MAX_LIFETIME}. A spec asking for less gets less.
         */
        public Builder maxLifetime(Duration maxLifetime) {
            Objects.requireNonNull(maxLifetime, "maxLifetime");
            if (maxLifetime.toSeconds() < 1) {
                throw new IllegalArgumentException("maxLifetime " + maxLifetime + " is shorter than a second: Kubernetes counts it in"
                        + " whole seconds; use e.g. Duration.ofHours(1)");
            }
            this.maxLifetime = maxLifetime;
            return this;
        }

        /** Whether network {@code none} is enforced with a deny-all NetworkPolicy (default true); when false such a spec is refused. */
        public Builder networkPolicies(boolean networkPolicies) {
            this.networkPolicies = networkPolicies;
            return this;
        }

        public KubernetesDriver build() {
            return new KubernetesDriver(this);
        }

        private static String requireDnsLabel(String field, String value) {
            Objects.requireNonNull(value, field);
            if (!value.matches("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")) {
                throw new IllegalArgumentException(field + " '" + value + "' is not a valid Kubernetes name: use up to 63 lower-case"
                        + " letters, digits and '-', starting and ending with a letter or digit");
            }
            return value;
        }
    }
}
