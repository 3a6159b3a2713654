package dev.devs.sandbox;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * What a running sandbox cannot change, and so what a pool is keyed by: a request written as a spec either
 * matches the pool's template there, or is refused naming the field. Its env entries beyond the template's
 * become the claim's env (applied to every exec of the claim).
 */
final class PoolKey {
    private PoolKey() {
    }

    private static final Map<String, Function<SandboxSpec, Object>> FIXED = new LinkedHashMap<>();

    static {
        FIXED.put("image", SandboxSpec::image);
        FIXED.put("command", SandboxSpec::command);
        FIXED.put("cpus", SandboxSpec::cpus);
        FIXED.put("memoryBytes", SandboxSpec::memoryBytes);
        FIXED.put("pidsLimit", SandboxSpec::pidsLimit);
        FIXED.put("network", SandboxSpec::network);
        FIXED.put("user", SandboxSpec::user);
        FIXED.put("readOnlyRootFs", SandboxSpec::readOnlyRootFs);
        FIXED.put("workDir", SandboxSpec::workDir);
        FIXED.put("scratchVolumes", SandboxSpec::scratchVolumes);
        FIXED.put("readinessProbe", SandboxSpec::readinessProbe);
        FIXED.put("labels", SandboxSpec::labels);
    }

    /** The spec of a sandbox of {@code template} handed out to {@code claim}: the claim's env over the template's. */
    static SandboxSpec specFor(SandboxSpec template, PoolClaim claim, Duration stopGrace) {
        if (claim.env().isEmpty() && stopGrace.equals(template.stopGracePeriod())) {
            return template;
        }
        Map<String, String> env = new LinkedHashMap<>(template.env());
        env.putAll(claim.env());
        return template.toBuilder().env(env).stopGracePeriod(stopGrace).build();
    }

    /** The claim that turns a pooled sandbox of {@code template} into what {@code request} asks for. */
    static PoolClaim claimFor(SandboxSpec template, SandboxSpec request) {
        Objects.requireNonNull(request, "request");
        FIXED.forEach((field, get) -> {
            if (!Objects.equals(get.apply(template), get.apply(request))) {
                throw new IllegalArgumentException("request differs from the pool's template in " + field + " ("
                        + get.apply(request) + " instead of " + get.apply(template) + "), which a running sandbox cannot"
                        + " change: use a pool whose template has it");
            }
        });
        PoolClaim.Builder claim = PoolClaim.builder();
        template.env().forEach((k, v) -> {
            if (!request.env().containsKey(k)) {
                throw new IllegalArgumentException("request drops env " + k + " of the pool's template, which a running"
                        + " sandbox cannot unset: use a pool whose template lacks it");
            }
        });
        request.env().forEach((k, v) -> {
            if (!v.equals(template.env().get(k))) {
                claim.env(k, v);
            }
        });
        return claim.build();
    }
}
