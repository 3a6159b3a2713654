package dev.devs.sandbox.docker;

import java.net.URI;
import java.time.Duration;

/**
 * Where the driver finds its engine and how long it waits on it, with where the address came from (so that
 * an error can say whether to fix {@code DOCKER_HOST} or the builder).
 *
 * @param dockerHost      e.g. {@code unix:///var/run/docker.sock} or {@code tcp://127.0.0.1:2375}
 * @param hostSource      how the address was chosen, in words, for error messages
 * @param connectTimeout  bound on opening a connection
 * @param responseTimeout bound on the engine's answer to one request/response call
 */
record EngineAddress(String dockerHost, String hostSource, Duration connectTimeout, Duration responseTimeout) {

    /**
     * The builder's address if it set one, else {@code DOCKER_HOST}, else {@link DockerDriver#DEFAULT_DOCKER_HOST}.
     *
     * @throws IllegalArgumentException if {@code DOCKER_HOST} is set to something that is not an engine address
     */
    static EngineAddress resolve(String fromBuilder, String fromEnv, Duration connectTimeout, Duration responseTimeout) {
        if (fromBuilder != null) {
            return new EngineAddress(fromBuilder, "set with DockerDriver.builder().dockerHost(...)", connectTimeout, responseTimeout);
        }
        if (fromEnv != null && !fromEnv.isBlank()) {
            requireValid(fromEnv.trim(), "DOCKER_HOST");
            return new EngineAddress(fromEnv.trim(), "from the DOCKER_HOST environment variable", connectTimeout, responseTimeout);
        }
        return new EngineAddress(DockerDriver.DEFAULT_DOCKER_HOST, "the default; DOCKER_HOST is not set", connectTimeout, responseTimeout);
    }

    /** @throws IllegalArgumentException naming {@code field}, the value and the valid forms */
    static void requireValid(String host, String field) {
        URI uri;
        try {
            uri = URI.create(host);
        } catch (IllegalArgumentException e) {
            uri = null;
        }
        String scheme = uri == null ? null : uri.getScheme();
        boolean ok = scheme != null && switch (scheme) {
            case "unix", "npipe" -> uri.getPath() != null && !uri.getPath().isEmpty();
            case "tcp" -> uri.getHost() != null && uri.getPort() > 0;
            default -> false;
        };
        if (!ok) {
            throw new IllegalArgumentException(field + " '" + host + "' is not a Docker engine address: use unix:///path/to/docker.sock,"
                    + " tcp://host:port (e.g. tcp://127.0.0.1:2375) or npipe:////./pipe/docker_engine");
        }
    }

    /** Whether the engine is reached over TCP (where the connect timeout matters). */
    boolean isTcp() {
        return dockerHost.startsWith("tcp:");
    }
}
