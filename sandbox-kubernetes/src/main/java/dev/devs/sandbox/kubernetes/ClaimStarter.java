package dev.devs.sandbox.kubernetes;

import dev.devs.sandbox.ImageNotFoundException;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.SandboxExecTimeoutException;
import dev.devs.sandbox.SandboxStartException;
import dev.devs.sandbox.SandboxTimeoutException;
import dev.devs.sandbox.spi.StartContext;
import dev.devs.sandbox.StartType;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Starts one sandbox by claiming it from a {@code SandboxTemplate}: a {@code SandboxClaim} created, watched until
 * its Ready condition is true, then its {@code Sandbox} read to tell a warm-pool claim ({@link StartType#POOLED})
 * from a cold one.
 */
// "try": phase timers are try-with-resources whose variable is never read, by design of PhaseRecorder.
@SuppressWarnings("try")
final class ClaimStarter {

    /** Ready=False reasons the controller will not get past without someone changing the claim or the template. */
    private static final Set<String> TERMINAL_REASONS = Set.of("TemplateNotFound", "InvalidMetadata", "EnvVarsInjectionRejected",
            "ClaimExpired", "VolumeClaimTemplatesError");
    private static final long PROBE_FIRST_PAUSE_MILLIS = 2;
    private static final long PROBE_MAX_PAUSE_MILLIS = 50;

    private final KubernetesDriver driver;
    private final String namespace;
    private final String template;

    ClaimStarter(KubernetesDriver driver) {
        this.driver = driver;
        this.namespace = driver.namespace();
        this.template = driver.sandboxTemplate();
    }

    ClaimHandle start(SandboxSpec spec, StartContext ctx) throws InterruptedException {
        String id = ctx.sandboxId();
        String name = PodManifest.name(id);
        ctx.attribute("namespace", namespace);
        ctx.attribute("sandboxClaim", name);
        ctx.attribute("sandboxTemplate", template);
        try {
            if (Thread.interrupted()) {
                throw new InterruptedException("start of sandbox " + id + " was interrupted before its SandboxClaim was created");
            }
            try (var p = ctx.phase("create")) {
                driver.call(ctx, ctx.remaining(), "create", AgentSandboxApi.CLAIMS_RESOURCE,
                        () -> AgentSandboxApi.claims(driver.client()).inNamespace(namespace).resource(claim(spec, ctx)).create());
            }
            AtomicReference<String> last = new AtomicReference<>("not seen yet");
            GenericKubernetesResource claim;
            try (var p = ctx.phase("claim")) {
                claim = Watches.awaitStart(AgentSandboxApi.claims(driver.client()).inNamespace(namespace).withName(name)
                                .informOnCondition(claims -> settled(claims, last)),
                        ctx, () -> "claim", "SandboxClaim " + namespace + "/" + name + " to become Ready", last::get).get(0);
            } catch (KubernetesClientException e) {
                throw driver.errors().starting(id, "watch", AgentSandboxApi.CLAIMS_RESOURCE, e);
            }
            requireReady(id, name, claim);
            String sandboxName = AgentSandboxApi.sandboxName(claim).orElseThrow(() -> new SandboxStartException(id, "SandboxClaim "
                    + namespace + "/" + name + " is Ready but names no Sandbox in status.sandbox.name"));
            ctx.attribute("sandbox", sandboxName);
            ClaimHandle handle;
            try (var p = ctx.phase("sandbox")) {
                GenericKubernetesResource sandbox = driver.call(ctx, ctx.remaining(), "get", AgentSandboxApi.SANDBOXES_RESOURCE,
                        () -> AgentSandboxApi.sandboxes(driver.client()).inNamespace(namespace).withName(sandboxName).get());
                if (sandbox == null) {
                    throw new SandboxStartException(id, "Sandbox " + namespace + "/" + sandboxName + " of claim " + name + " does not exist");
                }
                Map<String, String> labels = sandbox.getMetadata().getLabels();
                ctx.startType("warm".equals(labels == null ? null : labels.get(AgentSandboxApi.LAUNCH_TYPE_LABEL)) ? StartType.POOLED : StartType.COLD);
                Map<String, String> annotations = sandbox.getMetadata().getAnnotations();
                String podName = annotations != null && annotations.get(AgentSandboxApi.POD_NAME_ANNOTATION) != null
                        ? annotations.get(AgentSandboxApi.POD_NAME_ANNOTATION) : sandboxName;
                Pod pod = driver.call(ctx, ctx.remaining(), "get", "pods", () -> driver.client().pods().inNamespace(namespace).withName(podName).get());
                if (pod == null) {
                    throw new SandboxStartException(id, "Pod " + namespace + "/" + podName + " of Sandbox " + sandboxName + " does not exist");
                }
                ctx.attribute("pod", podName);
                handle = new ClaimHandle(driver, id, name, podName, pod.getSpec().getContainers().get(0).getName());
            }
            if (!spec.readinessProbe().isEmpty()) {
                try (var p = ctx.phase("readiness")) {
                    awaitProbe(spec, ctx, handle);
                }
            }
            return handle;
        } catch (RuntimeException e) {
            driver.deleteClaimQuietly(id, name, e);
            throw e;
        } catch (InterruptedException | Error e) {
            driver.deleteClaimQuietly(id, name, null);
            throw e;
        }
    }

    private GenericKubernetesResource claim(SandboxSpec spec, StartContext ctx) {
        Map<String, Object> claimSpec = new LinkedHashMap<>();
        claimSpec.put("sandboxTemplateRef", Map.of("name", template));
        // The maximum lifetime: the controller deletes the claim (and its Sandbox) by itself if its owner died.
        claimSpec.put("lifecycle", Map.of("shutdownTime", Instant.now().plus(driver.maxLifetime(spec)).truncatedTo(ChronoUnit.SECONDS).toString(),
                "shutdownPolicy", "Delete"));
        if (!spec.env().isEmpty()) {
            List<Map<String, String>> env = new ArrayList<>();
            spec.env().forEach((k, v) -> env.add(Map.of("name", k, "value", v)));
            claimSpec.put("env", env);
        }
        return new GenericKubernetesResourceBuilder()
                .withApiVersion(AgentSandboxApi.CLAIMS.getGroup() + "/" + AgentSandboxApi.CLAIMS.getVersion())
                .withKind(AgentSandboxApi.CLAIMS.getKind())
                .withNewMetadata().withName(PodManifest.name(ctx.sandboxId()))
                    .withLabels(PodManifest.labels(spec, ctx.sandboxId(), ctx.sessionId())).endMetadata()
                .addToAdditionalProperties("spec", claimSpec)
                .build();
    }

    /** The informer's predicate: true once the claim is Ready, failed for good, or gone after being seen. */
    private static boolean settled(List<GenericKubernetesResource> claims, AtomicReference<String> last) {
        if (claims.isEmpty()) {
            boolean wasSeen = !"not seen yet".equals(last.get());
            last.set(wasSeen ? "deleted" : "not seen yet");
            return wasSeen;
        }
        Optional<Map<String, Object>> ready = AgentSandboxApi.condition(claims.get(0), "Ready");
        last.set(ready.map(c -> "Ready=" + c.get("status") + " (" + c.get("reason") + ": " + c.get("message") + ")").orElse("no Ready condition"));
        return ready.map(c -> "True".equals(c.get("status")) || TERMINAL_REASONS.contains(String.valueOf(c.get("reason")))).orElse(false);
    }

    private void requireReady(String id, String name, GenericKubernetesResource claim) {
        Map<String, Object> ready = AgentSandboxApi.condition(claim, "Ready").orElse(Map.of());
        if ("True".equals(ready.get("status"))) {
            return;
        }
        String reason = String.valueOf(ready.get("reason"));
        String said = reason + ": " + ready.get("message");
        if ("TemplateNotFound".equals(reason)) {
            throw new ImageNotFoundException(id, template, "SandboxTemplate '" + template + "' not found in namespace '" + namespace
                    + "' (the controller said " + said + "); create it or build the driver with an existing sandboxTemplate(...)", null);
        }
        throw new SandboxStartException(id, "SandboxClaim " + namespace + "/" + name + " of template '" + template + "' failed: " + said);
    }

    /** Runs the spec's probe in the claimed sandbox until it exits 0, backing off 2 ms doubling to 50 ms. */
    private static void awaitProbe(SandboxSpec spec, StartContext ctx, ClaimHandle handle) throws InterruptedException {
        long pause = PROBE_FIRST_PAUSE_MILLIS;
        while (true) {
            ctx.checkDeadline("readiness");
            try {
                if (handle.exec(spec.readinessProbe(), ctx.remaining()).exitCode() == 0) {
                    return;
                }
            } catch (SandboxExecTimeoutException probeOutlivedTheStart) {
                // The probe's own timeout was what was left of the start's: the start timed out, and says so with its
                // startupTimeout, not with the sliver the last attempt had.
                throw new SandboxTimeoutException(ctx.sandboxId(), ctx.timeout(), "sandbox " + ctx.sandboxId() + " did not become"
                        + " ready within startupTimeout " + ctx.timeout() + ": readiness probe " + spec.readinessProbe()
                        + " was still running when it ran out", probeOutlivedTheStart);
            }
            ctx.checkDeadline("readiness");
            Thread.sleep(pause);
            pause = Math.min(PROBE_MAX_PAUSE_MILLIS, pause * 2);
        }
    }

}
