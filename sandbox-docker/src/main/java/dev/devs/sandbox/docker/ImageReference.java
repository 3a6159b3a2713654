package dev.devs.sandbox.docker;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An image reference split the way the engine splits it, so that the driver can pull exactly one tag
 * (an untagged pull would fetch every tag of the repository) and name the registry it asked.
 *
 * @param reference  the reference as the spec gave it
 * @param registry   the registry host (and port) the engine pulls from, {@code docker.io} when none is named
 * @param repository repository without tag or digest, as the engine's {@code fromImage} expects it
 * @param tag        the tag, {@code latest} when neither tag nor digest is given; null for a digest reference
 * @param digest     the digest ({@code sha256:...}) or null
 */
record ImageReference(String reference, String registry, String repository, String tag, String digest) {

    static final String DEFAULT_REGISTRY = "docker.io";

    // The grammar of github.com/distribution/reference, in its parts.
    private static final String ALNUM_LABEL = "[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?";
    private static final String DOMAIN = "(?:" + ALNUM_LABEL + "(?:\\." + ALNUM_LABEL + ")*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?";
    private static final String PATH_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
    private static final String TAG = "[\\w][\\w.-]{0,127}";
    private static final String DIGEST = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";
    private static final Pattern FULL = Pattern.compile(
            "(?<name>(?:(?<first>" + DOMAIN + ")/)?" + PATH_COMPONENT + "(?:/" + PATH_COMPONENT + ")*)"
                    + "(?::(?<tag>" + TAG + "))?(?:@(?<digest>" + DIGEST + "))?");

    /**
     * Parses a reference.
     *
     * @throws IllegalArgumentException naming the reference and the valid form
     */
    static ImageReference parse(String reference) {
        Matcher m = FULL.matcher(reference);
        if (!m.matches() || m.group("name").length() > 255) {
            String hint = reference.chars().anyMatch(Character::isUpperCase) && !reference.contains("/")
                    ? " (repository names must be lower case)" : "";
            throw new IllegalArgumentException("image '" + reference + "' is not a valid image reference" + hint
                    + ": use [registry[:port]/]name[:tag][@digest] with a lower-case name,"
                    + " e.g. 'busybox:1.36', 'localhost:5000/team/app:2' or 'app@sha256:<64 hex>'");
        }
        String name = m.group("name");
        String first = name.contains("/") ? name.substring(0, name.indexOf('/')) : null;
        // The engine's rule: the first component names a registry only if it looks like a host.
        boolean hasRegistry = first != null
                && (first.contains(".") || first.contains(":") || first.equals("localhost") || !first.equals(first.toLowerCase()));
        if (first != null && !hasRegistry && !first.matches(PATH_COMPONENT)) {
            throw new IllegalArgumentException("image '" + reference + "' is not a valid image reference: '" + first
                    + "' is neither a registry host nor a lower-case repository component");
        }
        if (!hasRegistry) {
            // Without a registry host the whole name must be a lower-case path (DOMAIN allowed upper case).
            if (!name.matches(PATH_COMPONENT + "(?:/" + PATH_COMPONENT + ")*")) {
                throw new IllegalArgumentException("image '" + reference
                        + "' is not a valid image reference: repository names must be lower case, e.g. 'busybox:1.36'");
            }
        }
        String digest = m.group("digest");
        String tag = m.group("tag");
        if (tag == null && digest == null) {
            tag = "latest";
        }
        return new ImageReference(reference, hasRegistry ? first : DEFAULT_REGISTRY, name, tag, digest);
    }

    /** What to pass as {@code fromImage}: the repository, plus the digest for a digest reference. */
    String pullName() {
        return digest == null ? repository : repository + "@" + digest;
    }
}
