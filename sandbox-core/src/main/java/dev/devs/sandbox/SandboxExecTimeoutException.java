package dev.devs.sandbox;

import java.time.Duration;

/**
 * A command run in a ready sandbox that did not finish within its timeout. The driver tried to kill it; the message
 * says whether it could, and carries the output so far. The sandbox stays usable.
 */
public class SandboxExecTimeoutException extends SandboxExecException {
    private static final long serialVersionUID = 1L;

    private final Duration timeout;

    public SandboxExecTimeoutException(String sandboxId, Duration timeout, String message) {
        super(sandboxId, message);
        this.timeout = timeout;
    }

    public SandboxExecTimeoutException(String sandboxId, Duration timeout, String message, Throwable cause) {
        super(sandboxId, message, cause);
        this.timeout = timeout;
    }

    /** The timeout the command ran out of. */
    public Duration timeout() {
        return timeout;
    }
}
