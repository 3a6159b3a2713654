package dev.devs.sandbox;

/**
 * A call that needs a {@link SandboxCapability} the sandbox's driver does not have, or that the driver cannot use for
 * this sandbox (for {@link SandboxCapability#SNAPSHOT}: its runtime, its engine's settings or its spec; the message
 * names which, and what would do). Thrown before anything is sent to the sandbox, so the sandbox is as it was;
 * {@link Sandbox#capabilities()} tells in advance what the driver lacks.
 */
public class SandboxCapabilityException extends SandboxException {
    private static final long serialVersionUID = 1L;

    private final String driver;
    private final SandboxCapability capability;

    public SandboxCapabilityException(String driver, SandboxCapability capability, String message) {
        super(message);
        this.driver = driver;
        this.capability = capability;
    }

    /** The name of the driver that lacks the capability, e.g. {@code webcontainer}. */
    public String driver() {
        return driver;
    }

    /** The capability the call needed. */
    public SandboxCapability capability() {
        return capability;
    }
}
