package dev.devs.sandbox.docker;

import dev.devs.sandbox.internal.BoundedCalls;
import com.github.dockerjava.api.exception.DockerException;
import dev.devs.sandbox.SandboxException;
import dev.devs.sandbox.SandboxRuntimeUnavailableException;
import dev.devs.sandbox.SandboxStartException;
import dev.devs.sandbox.SandboxTimeoutException;
import dev.devs.sandbox.spi.StartContext;

/**
 * Turns what docker-java threw into the library's exceptions, with a message that says what was asked, of
 * which engine address (and where that address came from), and what to do: the engine cannot be reached,
 * the server there does not answer, the server is not a Docker engine, or the engine refused. The hint on
 * how to point the driver elsewhere is built in one place, {@link #howToPointElsewhere()}.
 */
final class EngineFailureTranslator {

    private final EngineAddress address;

    EngineFailureTranslator(EngineAddress address) {
        this.address = address;
    }

    /**
     * For the engine calls of a start: {@link SandboxRuntimeUnavailableException} when no engine is there to
     * ask, else a {@link SandboxStartException}. {@code what} reads after "to", e.g. "create container x".
     */
    SandboxStartException starting(String sandboxId, String what, RuntimeException e) {
        if (e instanceof SandboxStartException s) {
            return s;
        }
        Explained x = explain(what + " for sandbox " + sandboxId, e);
        return x.noEngine ? new SandboxRuntimeUnavailableException(sandboxId, x.message, e) : new SandboxStartException(sandboxId, x.message, e);
    }

    /**
     * A call of a start that the engine did not answer before the start's deadline passed: a frozen or overloaded
     * engine, or a server that accepts connections and never answers.
     */
    SandboxTimeoutException deadlinePassed(StartContext ctx, String what, BoundedCalls.TimedOut e) {
        String id = ctx.sandboxId();
        return new SandboxTimeoutException(id, ctx.timeout(), "sandbox " + id + " did not become ready within startupTimeout "
                + ctx.timeout() + ": " + at() + " accepted the connection but did not answer within " + e.bound()
                + " (what remained of the startupTimeout) when asked to " + what + " for sandbox " + id + ". Check that the engine"
                + " is not hung or overloaded, allow a start more time with SandboxSpec.builder(...).startupTimeout(...), or point"
                + " the driver at a Docker engine with " + howToPointElsewhere(), e);
    }

    /** For calls after the start (exec, stop, remove): the same explanations, as a plain {@link SandboxException}. */
    SandboxException afterStart(String sandboxId, String what, RuntimeException e) {
        if (e instanceof SandboxException s) {
            return s;
        }
        return new SandboxException(explain(what + " for sandbox " + sandboxId, e).message, e);
    }

    /** The engine could not be reached (for a failure a stream reported rather than threw). */
    SandboxRuntimeUnavailableException unreachable(String sandboxId, String what, Throwable e) {
        return new SandboxRuntimeUnavailableException(sandboxId, unreachableMessage(what + " for sandbox " + sandboxId, e), e);
    }

    private record Explained(String message, boolean noEngine) {
    }

    private Explained explain(String what, RuntimeException e) {
        if (EngineErrorClassifier.isSilent(e)) {
            return new Explained(silentMessage(what, e), true);
        }
        if (EngineErrorClassifier.isUnreachable(e)) {
            return new Explained(unreachableMessage(what, e), true);
        }
        if (e instanceof DockerException de && EngineErrorClassifier.isForeignAnswer(de)) {
            return new Explained(at() + " is not a Docker engine: asked to " + what + ", it answered HTTP " + de.getHttpStatus()
                    + " without the engine's error body (" + de.getMessage().strip() + "). Point the driver at a Docker engine with "
                    + howToPointElsewhere(), true);
        }
        if (e instanceof DockerException de) {
            return new Explained("the Docker engine at " + address.dockerHost() + " refused to " + what + ": "
                    + EngineErrorClassifier.engineMessage(de), false);
        }
        return new Explained("could not " + what + ": " + e, false);
    }

    private String unreachableMessage(String what, Throwable e) {
        return "no Docker engine answered at " + address.dockerHost() + " (" + address.hostSource() + ") when trying to " + what + ": "
                + EngineErrorClassifier.rootMessage(e) + (address.isTcp() ? " (connect timeout " + address.connectTimeout() + ")" : "")
                + ". Start the engine there, or point the driver at a running one with " + howToPointElsewhere();
    }

    private String silentMessage(String what, RuntimeException e) {
        String within = "the response timeout " + address.responseTimeout();
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof BoundedCalls.TimedOut t && !t.bound().equals(address.responseTimeout())) {
                within = t.bound() + " (the response timeout " + address.responseTimeout() + " plus the time the engine takes for this call)";
            }
        }
        return at() + " accepted the connection but did not answer within " + within + " when asked to " + what
                + ". A Docker engine answers such calls in milliseconds: check that the engine is not hung, allow a slow one"
                + " more with DockerDriver.builder().responseTimeout(...), or point the driver at a Docker engine with "
                + howToPointElsewhere();
    }

    private String at() {
        return "the server at " + address.dockerHost() + " (" + address.hostSource() + ")";
    }

    /** The one hint on the two ways to name the engine address, with examples. */
    private static String howToPointElsewhere() {
        return "the DOCKER_HOST environment variable or DockerDriver.builder().dockerHost(...), e.g. \""
                + DockerDriver.DEFAULT_DOCKER_HOST + "\" or \"tcp://127.0.0.1:2375\"";
    }
}
