package dev.devs.sandbox;

/**
 * The labels and names every driver puts on what it creates (containers, volumes, Pods, claims), in one place, so
 * that an operator, a leak check or a sweep finds a sandbox's resources the same way whatever the driver:
 * {@code docker ps --filter label=dev.devs.sandbox.managed}, {@code kubectl get pods -l dev.devs.sandbox.managed}.
 * A spec's own labels may not use {@link #PREFIX}.
 */
public final class ResourceLabels {

    /** The prefix the library reserves for its own labels. */
    public static final String PREFIX = "dev.devs.sandbox.";
    /** Set to {@code true} on every resource a driver creates. */
    public static final String MANAGED = PREFIX + "managed";
    /** The sandbox id, on every resource a driver creates for that sandbox. */
    public static final String SANDBOX_ID = PREFIX + "id";
    /** The provider's session id, on every resource a driver creates. */
    public static final String SESSION = PREFIX + "session";
    /** Prefix of resource names: {@code devs-<sandboxId>}, and for a Docker scratch volume {@code devs-<sandboxId>-scratch-<n>}. */
    public static final String NAME_PREFIX = "devs-";

    private ResourceLabels() {
    }
}
