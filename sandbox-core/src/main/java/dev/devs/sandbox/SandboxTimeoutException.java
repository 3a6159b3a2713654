package dev.devs.sandbox;

import java.time.Duration;

/**
 * A start that did not become ready within {@link SandboxSpec#startupTimeout()}, or a readiness
 * probe that kept failing until then. (A command that outlives its timeout in a ready sandbox is a
 * {@link SandboxExecTimeoutException}, not this.)
 */
public class SandboxTimeoutException extends SandboxStartException {
    private static final long serialVersionUID = 1L;

    private final Duration timeout;

    public SandboxTimeoutException(String sandboxId, Duration timeout, String message) {
        super(sandboxId, message);
        this.timeout = timeout;
    }

    public SandboxTimeoutException(String sandboxId, Duration timeout, String message, Throwable cause) {
        super(sandboxId, message, cause);
        this.timeout = timeout;
    }

    /** The startup timeout that ran out. */
    public Duration timeout() {
        return timeout;
    }
}
