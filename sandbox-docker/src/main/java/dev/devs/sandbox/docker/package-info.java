/**
 * The Docker driver: {@link dev.devs.sandbox.docker.DockerDriver} runs each sandbox as a labelled, locked-down
 * container of a Docker engine (docker-java over Apache HttpClient 5) and removes it, with its volumes, on stop.
 * Everything else in this package is internal.
 *
 * <p>Nullness: nothing is null unless its type says {@code @Nullable}.
 */
@NullMarked
package dev.devs.sandbox.docker;

import org.jspecify.annotations.NullMarked;
