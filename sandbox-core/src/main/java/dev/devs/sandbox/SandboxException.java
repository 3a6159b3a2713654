package dev.devs.sandbox;

/**
 * Base of every exception this library throws for a sandbox that could not be provisioned, used or
 * released. Unchecked, like docker-java's and Testcontainers' exceptions: callers that can react to a
 * specific cause catch the subclass.
 */
public class SandboxException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public SandboxException(String message) {
        super(message);
    }

    public SandboxException(String message, Throwable cause) {
        super(message, cause);
    }
}
