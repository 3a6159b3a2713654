package dev.devs.sandbox.docker;

import dev.devs.sandbox.SandboxStartException;
import dev.devs.sandbox.spi.StartContext;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The OCI runtimes the engine has registered ({@code docker info} → {@code Runtimes}), to check a spec's
 * {@link dev.devs.sandbox.SandboxSpec#runtime() runtime} before anything is created. The engine would refuse an
 * unknown runtime only at create, with a message that does not say which ones exist; checking first names them.
 *
 * <p>The list is asked for once, the first time a spec names a runtime, and asked again only when a spec names
 * one not in it (an operator may have registered it since, with a daemon reload). A spec on the default
 * runtime costs no call, so a warm start keeps its four engine calls. Thread-safe.
 */
final class EngineRuntimes {

    /** What the engine runs a container on when no runtime is named; Docker's built-in default. */
    static final String ENGINE_DEFAULT = "runc";

    private final EngineCalls engine;
    private final String dockerHost;
    private volatile Set<String> known = Set.of();

    EngineRuntimes(EngineCalls engine, String dockerHost) {
        this.engine = engine;
        this.dockerHost = dockerHost;
    }

    /**
     * @return the runtime's name as the sandbox's {@code runtime} attribute: the requested one, or
     *         {@value #ENGINE_DEFAULT} (until the container's inspect says what the engine actually chose)
     * @throws SandboxStartException naming the runtime and listing the engine's, when it is not registered
     */
    String require(String requested, StartContext ctx) throws InterruptedException {
        String sandboxId = ctx.sandboxId();
        if (requested.isEmpty() || known.contains(requested)) {
            return requested.isEmpty() ? ENGINE_DEFAULT : requested;
        }
        Map<String, ?> runtimes = engine.requestForStart(ctx, "list its runtimes (docker info)",
                c -> c.infoCmd().exec().getRuntimes());
        Set<String> now = runtimes == null ? Set.of() : Set.copyOf(new TreeSet<>(runtimes.keySet()));
        known = now;
        if (!now.contains(requested)) {
            throw new SandboxStartException(sandboxId, "runtime '" + requested + "' is not registered with the Docker engine at "
                    + dockerHost + ": it has " + String.join(", ", new TreeSet<>(now)) + ". Choose one of those, or register it"
                    + " in the engine's configuration (daemon.json \"runtimes\", e.g. {\"runsc\": {\"path\": \"/usr/bin/runsc\","
                    + " \"runtimeArgs\": [\"--network=none\"]}}) and reload the engine");
        }
        return requested;
    }
}
