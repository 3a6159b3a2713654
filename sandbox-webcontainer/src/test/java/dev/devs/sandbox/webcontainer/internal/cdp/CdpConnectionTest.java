package dev.devs.sandbox.webcontainer.internal.cdp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.devs.sandbox.internal.DaemonThreads;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The DevTools client against a real headless Chromium it launches itself (and ends by PID). */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class CdpConnectionTest {

    private static final Duration T = Duration.ofSeconds(5);
    @TempDir
    static Path profile;
    private static Process chromium;
    private static URI devtools;

    @BeforeAll
    static void launchChromium() throws Exception {
        String chrome = System.getenv().getOrDefault("CHROME_PATH", "/usr/bin/chromium");
        ProcessBuilder builder = new ProcessBuilder(chrome, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--user-data-dir=" + profile, "--remote-debugging-port=0", "about:blank")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        // Its singleton socket directory goes to TMPDIR; keep it inside the temp dir JUnit deletes.
        builder.environment().put("TMPDIR", Files.createDirectory(profile.resolve("tmp")).toString());
        chromium = builder.start();
        devtools = readDevToolsAddress(chromium);
    }

    @AfterAll
    static void endChromium() throws InterruptedException {
        if (chromium != null) {
            List<ProcessHandle> children = chromium.descendants().toList();
            chromium.destroyForcibly();
            chromium.waitFor(10, TimeUnit.SECONDS);
            children.forEach(ProcessHandle::destroyForcibly);
        }
    }

    @Test
    void callsReturnResultsAndProtocolErrorsNameTheMethod() throws Exception {
        try (CdpConnection cdp = CdpConnection.connect(devtools, T)) {
            JsonNode version = cdp.call("Browser.getVersion", null, T);
            assertThat(version.path("product").asText()).containsIgnoringCase("chrom");

            assertThatThrownBy(() -> cdp.call("Nope.doesNotExist", null, T))
                    .isInstanceOf(CdpException.class)
                    .hasMessageContaining("Nope.doesNotExist")
                    .satisfies(e -> assertThat(((CdpException) e).code()).isEqualTo(-32601));
        }
    }

    @Test
    void sessionsGetTheirOwnEventsAndEvaluateResults() throws Exception {
        inNewPage((cdp, context, target) -> {
            CdpSession page = cdp.attach(target, T);
            List<String> consoleMessages = new CopyOnWriteArrayList<>();
            page.on("Runtime.consoleAPICalled", params -> consoleMessages.add(params.path("args").path(0).path("value").asText()));
            page.call("Runtime.enable", null, T);

            CdpSession.EvaluateResult r = page.evaluate("console.log('hello from the page'); Promise.resolve(6 * 7)").get(5, TimeUnit.SECONDS);
            assertThat(r.threw()).isFalse();
            assertThat(r.value().asInt()).isEqualTo(42);

            CdpSession.EvaluateResult thrown = page.evaluate("Promise.reject(new Error('boom'))").get(5, TimeUnit.SECONDS);
            assertThat(thrown.threw()).isTrue();
            assertThat(thrown.exception()).contains("boom");

            org.awaitility.Awaitility.await().atMost(T).until(() -> consoleMessages.contains("hello from the page"));
            assertThat(cdp.browserContextIds(T)).contains(context);
        });
    }

    @Test
    void aNewPageGetsNoBrowserWindow() throws Exception {
        // A window per page cost Chromium's UI thread 50-100 ms and held back every other page's DevTools answers.
        inNewPage((cdp, context, target) -> {
            assertThatThrownBy(() -> cdp.call("Browser.getWindowForTarget", Map.of("targetId", target), T))
                    .isInstanceOf(CdpException.class).hasMessageContaining("window not found");
            CdpSession page = cdp.attach(target, T);
            CdpSession.EvaluateResult r = page.evaluate("document.visibilityState").get(5, TimeUnit.SECONDS);
            assertThat(r.value().asText()).as("a hidden page's document stays visible (timers not throttled)").isEqualTo("visible");
        });
    }

    /** What a test does with a blank page in a browser context of its own. */
    private interface InPage {
        void run(CdpConnection cdp, String context, String target) throws Exception;
    }

    /**
     * Runs {@code body} on a new blank page in a new browser context, then closes the page (a hidden page outlives its
     * context) and disposes of the context, and checks that the browser no longer lists it.
     */
    private static void inNewPage(InPage body) throws Exception {
        try (CdpConnection cdp = CdpConnection.connect(devtools, T)) {
            String context = cdp.createBrowserContext(T);
            try {
                String target = cdp.createTarget("about:blank", context, T);
                body.run(cdp, context, target);
                cdp.closeTarget(target).get(5, TimeUnit.SECONDS);
            } finally {
                cdp.disposeBrowserContext(context, T);
            }
            assertThat(cdp.browserContextIds(T)).doesNotContain(context);
        }
    }

    @Test
    void unansweredCallsTimeOutAndFailWhenTheirPageOrConnectionGoes() throws Exception {
        CdpConnection cdp = CdpConnection.connect(devtools, T);
        String context = cdp.createBrowserContext(T);
        CdpSession page = cdp.attach(cdp.createTarget("about:blank", context, T), T);

        CompletableFuture<JsonNode> never = page.send("Runtime.evaluate",
                Map.of("expression", "new Promise(() => {})", "awaitPromise", true));
        assertThatThrownBy(() -> CdpConnection.await("Runtime.evaluate", never, Duration.ofMillis(200)))
                .isInstanceOf(CdpException.class).hasMessageContaining("no answer within PT0.2S");

        // Closing the page detaches its session: its pending calls fail instead of hanging.
        CompletableFuture<JsonNode> orphan = page.send("Runtime.evaluate",
                Map.of("expression", "new Promise(() => {})", "awaitPromise", true));
        cdp.closeTarget(page.targetId()).get(5, TimeUnit.SECONDS);
        assertThatThrownBy(() -> orphan.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(CdpException.class);
        assertThat(page.detachedFuture().get(5, TimeUnit.SECONDS)).isNotBlank();
        assertThat(page.isAttached()).isFalse();
        cdp.disposeBrowserContext(context, T);

        // Closing the connection fails every pending call (the browser disposes the context: disposeOnDetach).
        String other = cdp.createBrowserContext(T);
        CdpSession otherPage = cdp.attach(cdp.createTarget("about:blank", other, T), T);
        CompletableFuture<JsonNode> pending = otherPage.send("Runtime.evaluate",
                Map.of("expression", "new Promise(() => {})", "awaitPromise", true));
        cdp.close();
        assertThat(cdp.isOpen()).isFalse();
        assertThatThrownBy(() -> pending.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(CdpException.class).hasMessageContaining("closed");
        assertThat(otherPage.isAttached()).isFalse();
        assertThatThrownBy(() -> cdp.call("Browser.getVersion", null, T)).isInstanceOf(CdpException.class)
                .hasMessageContaining("closed");
        cdp.close(); // idempotent
    }

    @Test
    void aSessionLeavesNoSubscriptionBehindOnceItsTargetIsGone() throws Exception {
        try (CdpConnection cdp = CdpConnection.connect(devtools, T)) {
            int before = cdp.subscribedKeys();
            for (int i = 0; i < 5; i++) {
                String context = cdp.createBrowserContext(T);
                CdpSession page = cdp.attach(cdp.createTarget("about:blank", context, T), T);
                AutoCloseable load = page.on("Page.loadEventFired", params -> { });
                load.close();
                cdp.closeTarget(page.targetId()).get(5, TimeUnit.SECONDS);
                cdp.disposeBrowserContext(context, T);
                page.detachedFuture().get(5, TimeUnit.SECONDS);
            }
            // A long-lived driver attaches one session per sandbox: what they subscribed must not pile up.
            org.awaitility.Awaitility.await().atMost(T)
                    .untilAsserted(() -> assertThat(cdp.subscribedKeys()).as("event keys subscribed").isEqualTo(before));
        }
    }

    private static URI readDevToolsAddress(Process process) throws IOException {
        Pattern p = Pattern.compile("DevTools listening on (ws://\\S+)");
        var in = new java.io.BufferedReader(new java.io.InputStreamReader(process.getErrorStream()));
        String line;
        while ((line = in.readLine()) != null) {
            Matcher m = p.matcher(line);
            if (m.find()) {
                URI uri = URI.create(m.group(1));
                DaemonThreads.named("cdp-test-stderr").newThread(() -> {
                    try {
                        in.transferTo(java.io.Writer.nullWriter());
                    } catch (IOException ignored) {
                        // the browser went away
                    }
                }).start();
                return uri;
            }
        }
        throw new IOException("Chromium exited before printing its DevTools address; profile " + Files.exists(profile));
    }
}
