package dev.devs.sandbox.webcontainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code --no-sandbox} only where Chromium cannot sandbox itself, and the launch as the machine allows it. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ChromiumSandboxTest {

    @Test
    void theSandboxIsDroppedOnlyForRootOrWithoutUserNamespaces() {
        assertThat(ChromiumSandbox.decide(0, true).flags()).containsExactly("--no-sandbox");
        assertThat(ChromiumSandbox.decide(0, true).reason()).contains("root");
        assertThat(ChromiumSandbox.decide(1000, false).flags()).containsExactly("--no-sandbox");
        assertThat(ChromiumSandbox.decide(1000, false).reason()).contains("user namespaces");
        assertThat(ChromiumSandbox.decide(1000, true).flags()).isEmpty();
        assertThat(ChromiumSandbox.decide(-1, true).sandboxed()).isTrue();
        assertThat(Browser.FLAGS).doesNotContain("--no-sandbox");
    }

    @Test
    void theBrowserIsLaunchedWithNoSandboxExactlyWhenTheMachineRequiresIt() throws Exception {
        ChromiumSandbox expected = ChromiumSandbox.forThisProcess();
        try (Browser browser = Browser.launch(Path.of(chrome()), Duration.ofSeconds(30), null)) {
            List<String> args = List.of(new String(Files.readAllBytes(Path.of("/proc", Long.toString(browser.pid()), "cmdline")),
                    StandardCharsets.UTF_8).split("\0"));
            assertThat(args.contains("--no-sandbox")).as("--no-sandbox among %s (%s)", args, expected.reason())
                    .isEqualTo(!expected.sandboxed());
            assertThat(browser.isAlive()).isTrue();
        }
    }

    @Test
    void aSandboxedLaunchWorksWhereTheMachineAllowsIt() throws Exception {
        ChromiumSandbox decision = ChromiumSandbox.forThisProcess();
        assumeThat(decision.sandboxed()).as("a sandboxed launch is not possible here: %s", decision.reason()).isTrue();
        try (Browser browser = Browser.launch(Path.of(chrome()), Duration.ofSeconds(30), null)) {
            assertThat(browser.isAlive()).isTrue();
            assertThat(browser.cdp().browserContextIds(Duration.ofSeconds(5))).isNotNull();
        }
    }

    private static String chrome() {
        String env = System.getenv(WebContainerDriver.CHROME_PATH_ENV);
        return env == null || env.isBlank() ? WebContainerDriver.DEFAULT_CHROME_PATH : env;
    }
}
