package dev.devs.sandbox;

/**
 * The image (or template) a spec names exists neither locally nor in the registry it points to.
 */
public class ImageNotFoundException extends SandboxStartException {
    private static final long serialVersionUID = 1L;

    private final String image;

    public ImageNotFoundException(String sandboxId, String image, String message, Throwable cause) {
        super(sandboxId, message, cause);
        this.image = image;
    }

    /** The image reference as the spec gave it. */
    public String image() {
        return image;
    }
}
