package dev.devs.sandbox;

/**
 * A command run in a ready sandbox ({@link Sandbox#exec}, {@link Sandbox#writeFile}) that could not run or
 * finish: the sandbox had ended, the technology behind it refused or failed, or the call was interrupted. A command
 * that ran and exited non-zero is not an exception: its {@link ExecResult} says so. The sandbox itself may still be
 * usable; {@link Sandbox#isAlive()} tells.
 */
public class SandboxExecException extends SandboxException {
    private static final long serialVersionUID = 1L;

    private final String sandboxId;

    public SandboxExecException(String sandboxId, String message) {
        super(message);
        this.sandboxId = sandboxId;
    }

    public SandboxExecException(String sandboxId, String message, Throwable cause) {
        super(message, cause);
        this.sandboxId = sandboxId;
    }

    /** The id of the sandbox the command was to run in. */
    public String sandboxId() {
        return sandboxId;
    }
}
