/**
 * The WebContainer driver: {@link dev.devs.sandbox.webcontainer.WebContainerDriver} boots StackBlitz's
 * {@code @webcontainer/api} client (bundled from npm at build time) in headless Chromium, which it drives over
 * the DevTools protocol ({@link dev.devs.sandbox.webcontainer.internal.cdp}). One browser per driver, one browser
 * context and page per sandbox. Everything else in this package is internal.
 *
 * <p>Nullness: nothing is null unless its type says {@code @Nullable}.
 */
@NullMarked
package dev.devs.sandbox.webcontainer;

import org.jspecify.annotations.NullMarked;
