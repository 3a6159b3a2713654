package dev.devs.sandbox;

import dev.devs.sandbox.spi.SandboxDriver;

/**
 * How a sandbox ended, as reported by {@link SandboxDriver.Handle#stop}.
 */
public enum StopOutcome {
    /** It exited by itself within the grace period after being asked to stop. */
    STOPPED,
    /** It had to be killed after the grace period, or it had already died on its own. */
    KILLED
}
