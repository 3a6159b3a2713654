package dev.devs.sandbox.webcontainer.internal.cdp;

/**
 * A DevTools protocol call that failed: the browser answered with an error, the call timed out, or the
 * connection closed before the answer came. The message names the method.
 */
public class CdpException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String method;
    private final Integer code;

    CdpException(String method, Integer code, String message, Throwable cause) {
        super(message, cause);
        this.method = method;
        this.code = code;
    }

    /** A failure on this side (no protocol error code), e.g. a page that went away while a call waited. */
    public CdpException(String method, String message) {
        this(method, null, message, null);
    }

    /** The protocol method that failed, e.g. {@code Target.createTarget}. */
    public String method() {
        return method;
    }

    /** The protocol error code the browser sent, or null when the failure happened on this side. */
    public Integer code() {
        return code;
    }
}
