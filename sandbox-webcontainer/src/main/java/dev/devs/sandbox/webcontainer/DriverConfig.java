package dev.devs.sandbox.webcontainer;

import static dev.devs.sandbox.webcontainer.WebContainerDriver.CHROME_PATH_ENV;
import static dev.devs.sandbox.webcontainer.WebContainerDriver.DEFAULT_CHROME_PATH;
import static dev.devs.sandbox.webcontainer.WebContainerDriver.STACKBLITZ_ENDPOINT;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * A {@link WebContainerDriver}'s settings, every one checked before anything is launched: an invalid value
 * throws {@link IllegalArgumentException} naming it and what would be valid.
 *
 * @param chromePath       the Chromium binary to launch
 * @param chromePathSource where {@code chromePath} came from, for the message when it is missing at launch
 * @param endpoint         the runtime's origin as the browser will use it
 * @param apiKey           the WebContainer API key, or null
 * @param profileParent    where browser profiles are created; null for the system temp directory
 */
record DriverConfig(Path chromePath, String chromePathSource, String endpoint, String apiKey, Duration bootTimeout,
                    Duration launchTimeout, Path profileParent) {

    private static final Duration MAX_TIMEOUT = Duration.ofMinutes(5);

    /**
     * Checks and resolves what a builder was given.
     *
     * @param chromePath null for the {@value WebContainerDriver#CHROME_PATH_ENV} environment variable, else the default
     * @throws IllegalStateException the module was built without its bundled {@code @webcontainer/api} client
     */
    static DriverConfig of(String chromePath, String endpoint, String apiKey, Duration bootTimeout, Duration launchTimeout,
                           Path profileParent) {
        String normalized = normalizeEndpoint(endpoint);
        requireTimeout("bootTimeout", bootTimeout);
        requireTimeout("launchTimeout", launchTimeout);
        if (apiKey != null && (apiKey.isBlank() || apiKey.chars().anyMatch(Character::isWhitespace))) {
            // Never the value: a key is a secret, and messages end up in logs and reports.
            throw new IllegalArgumentException("apiKey (" + apiKey.length() + " characters, value withheld) is not valid: it must be"
                    + " non-blank and contain no whitespace, or be left unset");
        }
        Path chrome;
        String source;
        if (chromePath != null) {
            chrome = requireExecutable(chromePath);
            source = "WebContainerDriver.builder().chromePath";
        } else {
            String env = System.getenv(CHROME_PATH_ENV);
            boolean fromEnv = env != null && !env.isBlank();
            chrome = Path.of(fromEnv ? env : DEFAULT_CHROME_PATH);
            source = fromEnv ? "environment variable " + CHROME_PATH_ENV : "the default path";
        }
        if (!HarnessServer.clientBundled()) {
            throw new IllegalStateException("the @webcontainer/api client is not on the classpath ("
                    + HarnessServer.RESOURCE_BASE + HarnessServer.CLIENT_ENTRY + "): build sandbox-webcontainer with Maven,"
                    + " which installs it with npm");
        }
        return new DriverConfig(chrome, source, normalized, apiKey, bootTimeout, launchTimeout, profileParent);
    }

    /** Without the API key's value, so that logging a config never prints it. */
    @Override
    public String toString() {
        return "DriverConfig[chromePath=" + chromePath + " (" + chromePathSource + "), endpoint=" + endpoint + ", apiKey="
                + (apiKey == null ? "none" : "set") + ", bootTimeout=" + bootTimeout + ", launchTimeout=" + launchTimeout
                + ", profileParent=" + profileParent + "]";
    }

    /** The {@code runtime} attribute a start carries until the runtime says what it is. */
    String presumedRuntime() {
        return STACKBLITZ_ENDPOINT.toString().equals(endpoint) ? WebContainerDriver.STACKBLITZ : WebContainerDriver.SELF_HOSTED;
    }

    private static Path requireExecutable(String chromePath) {
        Path p = Path.of(chromePath);
        if (!Files.exists(p)) {
            throw new IllegalArgumentException("chromePath '" + chromePath + "' does not exist: give the path of a Chromium"
                    + " or Chrome binary, e.g. " + DEFAULT_CHROME_PATH + " (apt-get install chromium)");
        }
        if (Files.isDirectory(p) || !Files.isExecutable(p)) {
            throw new IllegalArgumentException("chromePath '" + chromePath + "' is not an executable file: give the path of"
                    + " a Chromium or Chrome binary, e.g. " + DEFAULT_CHROME_PATH);
        }
        return p;
    }

    private static void requireTimeout(String field, Duration d) {
        if (d == null || d.isZero() || d.isNegative() || d.compareTo(MAX_TIMEOUT) > 0) {
            throw new IllegalArgumentException(field + " " + d + " is out of range: use a duration in (0, PT5M]");
        }
    }

    /**
     * The origin the client will use, in the form JavaScript's {@code new URL(x).origin} gives it (lower-case
     * scheme and host, no default port), so that what the events say is what the browser loads.
     */
    static String normalizeEndpoint(String endpoint) {
        String hint = "; use the runtime's origin, e.g. " + STACKBLITZ_ENDPOINT + " or http://127.0.0.1:8080";
        if (endpoint == null || endpoint.isBlank()) {
            throw new IllegalArgumentException("endpoint '" + endpoint + "' is empty" + hint);
        }
        URI uri;
        try {
            uri = new URI(endpoint.strip());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("endpoint '" + endpoint + "' is not a valid URL (" + e.getReason() + ")" + hint, e);
        }
        String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!"http".equals(scheme) && !"https".equals(scheme)) {
            throw new IllegalArgumentException("endpoint '" + endpoint + "' has scheme '" + uri.getScheme()
                    + "': only http and https are valid" + hint);
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw new IllegalArgumentException("endpoint '" + endpoint + "' has no valid host" + hint);
        }
        if (uri.getRawUserInfo() != null) {
            throw new IllegalArgumentException("endpoint '" + endpoint + "' contains user info, which the client drops" + hint);
        }
        String path = uri.getRawPath();
        if ((path != null && !path.isEmpty() && !path.equals("/")) || uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new IllegalArgumentException("endpoint '" + endpoint + "' has a path, query or fragment: the client keeps only"
                    + " the origin and loads <origin>/headless" + hint);
        }
        int port = uri.getPort();
        boolean defaultPort = port == -1 || ("http".equals(scheme) && port == 80) || ("https".equals(scheme) && port == 443);
        if (port == 0 || port > 65535) {
            throw new IllegalArgumentException("endpoint '" + endpoint + "' has port " + port + ": use 1 to 65535" + hint);
        }
        return scheme + "://" + uri.getHost().toLowerCase(Locale.ROOT) + (defaultPort ? "" : ":" + port);
    }
}
