/**
 * The Kubernetes driver: {@link dev.devs.sandbox.kubernetes.KubernetesDriver} runs each sandbox as a labelled,
 * locked-down Pod (Pod Security "restricted"), or claims one from an agent-sandbox {@code SandboxTemplate}, through
 * the fabric8 client. Everything else in this package is internal.
 *
 * <p>Nullness: nothing is null unless its type says {@code @Nullable}.
 */
@NullMarked
package dev.devs.sandbox.kubernetes;

import org.jspecify.annotations.NullMarked;
