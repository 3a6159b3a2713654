package dev.devs.sandbox.webcontainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import dev.devs.sandbox.tck.Patience;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
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

    /**
     * As root (where the JVM's own launch must drop the sandbox) the sandboxed launch is still exercised: Chromium runs
     * as user nobody in a child process (setpriv), with a profile and HOME in a directory that user owns, and must come
     * up with its sandboxed zygote and without --no-sandbox. Its processes are ended by PID.
     */
    @Test
    void asAnUnprivilegedUserChromiumStartsWithItsSandboxWhereTheMachineAllowsIt() throws Exception {
        assumeThat(ChromiumSandbox.forThisProcess().reason()).as("not root: the JVM's own launch is sandboxed (test above)")
                .contains("root");
        assumeThat(Path.of(SETPRIV)).as("setpriv, to run Chromium as an unprivileged user").isExecutable();
        assumeThat(ChromiumSandbox.userNamespacesAvailable()).as("unprivileged user namespaces, which Chromium's sandbox needs").isTrue();
        ChromiumSandbox decision = ChromiumSandbox.decide(NOBODY, true);
        assertThat(decision.sandboxed()).as("the decision for an unprivileged user: %s", decision.reason()).isTrue();

        Path home = Files.createTempDirectory("devs-chromium-nobody-");
        Path log = Files.createTempFile("devs-chromium-nobody-", ".log");
        Process chromium = null;
        try {
            Files.setOwner(home, home.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody"));
            List<String> command = new ArrayList<>(List.of(SETPRIV, "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups", "--",
                    "env", "HOME=" + home, chrome()));
            command.addAll(Browser.FLAGS);
            command.addAll(decision.flags());
            command.add("--user-data-dir=" + home.resolve("profile"));
            command.add("about:blank");
            chromium = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            Process browser = chromium;

            await().atMost(Patience.seconds(30)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
                assertThat(browser.isAlive()).as("Chromium as nobody, alive; its output: %s", Files.readString(log)).isTrue();
                assertThat(Files.readString(log)).contains("DevTools listening on ws://");
            });
            await().atMost(Patience.seconds(10)).pollInterval(Duration.ofMillis(100))
                    .until(() -> treeOf(browser).stream().map(ChromiumSandboxTest::cmdline).anyMatch(c -> c.contains("--type=zygote")
                            && !c.contains("--no-zygote-sandbox")));
            assertThat(treeOf(browser)).extracting(ChromiumSandboxTest::cmdline).as("Chromium's processes")
                    .noneMatch(c -> c.contains(ChromiumSandbox.NO_SANDBOX));
        } finally {
            if (chromium != null) {
                List<ProcessHandle> tree = treeOf(chromium);
                tree.forEach(ProcessHandle::destroyForcibly);
                await().atMost(Patience.seconds(10)).until(() -> tree.stream().noneMatch(ProcessHandle::isAlive));
            }
            try (var files = Files.walk(home)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
            Files.deleteIfExists(log);
        }
    }

    private static final String SETPRIV = "/usr/bin/setpriv";
    private static final long NOBODY = 65534;

    /** The process and all its descendants, the process first. */
    private static List<ProcessHandle> treeOf(Process process) {
        List<ProcessHandle> tree = new ArrayList<>();
        tree.add(process.toHandle());
        process.toHandle().descendants().forEach(tree::add);
        return tree;
    }

    private static String cmdline(ProcessHandle p) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", Long.toString(p.pid()), "cmdline")), StandardCharsets.UTF_8)
                    .replace('\0', ' ');
        } catch (java.io.IOException gone) {
            return "";
        }
    }

    private static String chrome() {
        String env = System.getenv(WebContainerDriver.CHROME_PATH_ENV);
        return env == null || env.isBlank() ? WebContainerDriver.DEFAULT_CHROME_PATH : env;
    }
}
