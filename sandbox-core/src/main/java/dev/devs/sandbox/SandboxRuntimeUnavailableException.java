package dev.devs.sandbox;

/**
 * The runtime a driver needs cannot be reached or launched: no Docker engine answers at the configured
 * host, the browser binary is missing, the WebContainer endpoint does not load. The message names what
 * was tried and how to point the driver elsewhere.
 */
public class SandboxRuntimeUnavailableException extends SandboxStartException {
    private static final long serialVersionUID = 1L;

    public SandboxRuntimeUnavailableException(String sandboxId, String message, Throwable cause) {
        super(sandboxId, message, cause);
    }
}
