package dev.devs.sandbox;

import org.jspecify.annotations.Nullable;

/**
 * A start that did not reach READY. The provider has already emitted FAILED for it and the driver has
 * removed whatever it created for the sandbox.
 *
 * <p>The message says what failed and with which value; where the sandbox ran at all it carries the
 * diagnostics a user needs to act (exit code, OOM flag, last log lines), as Testcontainers does.
 */
public class SandboxStartException extends SandboxException {
    private static final long serialVersionUID = 1L;

    private final @Nullable String sandboxId;

    public SandboxStartException(@Nullable String sandboxId, String message) {
        super(message);
        this.sandboxId = sandboxId;
    }

    public SandboxStartException(@Nullable String sandboxId, String message, Throwable cause) {
        super(message, cause);
        this.sandboxId = sandboxId;
    }

    /** The id of the sandbox that failed to start (as on its STARTING and FAILED events), or null when none was assigned. */
    public @Nullable String sandboxId() {
        return sandboxId;
    }
}
