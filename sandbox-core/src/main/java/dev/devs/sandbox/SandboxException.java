package dev.devs.sandbox;

/**
 * Base of every exception this library throws for a sandbox that could not be provisioned, used or
 * released. Unchecked, like docker-java's and Testcontainers' exceptions: callers that can react to a
 * specific cause catch the subclass. The whole hierarchy, each type meaning one thing:
 *
 * <ul>
 *   <li>{@link SandboxException}: a sandbox could not be released (a stop that failed; the provider retries the
 *       release), or a failure of the library that fits no type below.
 *     <ul>
 *       <li>{@link SandboxStartException}: a start that did not reach READY; FAILED was emitted and what the start
 *           created is gone. Carries the {@link SandboxStartException#sandboxId() sandbox id}.
 *         <ul>
 *           <li>{@link SandboxTimeoutException}: the start outlived {@link SandboxSpec#startupTimeout()} (or a
 *               pool's {@code acquire} its wait); carries the timeout.</li>
 *           <li>{@link ImageNotFoundException}: the image or template the spec names does not exist.</li>
 *           <li>{@link SandboxRuntimeUnavailableException}: the engine, browser or cluster cannot be reached or
 *               launched.</li>
 *         </ul>
 *       </li>
 *       <li>{@link SandboxExecException}: a command or file write in a ready sandbox could not run or finish
 *           ({@link Sandbox#exec}, {@link Sandbox#writeFile}); a command that exits non-zero is not one.
 *         <ul>
 *           <li>{@link SandboxExecTimeoutException}: the command outlived its timeout; carries the timeout.</li>
 *         </ul>
 *       </li>
 *     </ul>
 *   </li>
 * </ul>
 *
 * <p>Bad input is not a {@code SandboxException}: an invalid spec or argument throws
 * {@link IllegalArgumentException} naming the value and what would be valid, before any event or resource; a call
 * on a stopped sandbox or a closed provider throws {@link IllegalStateException}; an option a driver cannot honour
 * throws {@link UnsupportedOperationException}.
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
