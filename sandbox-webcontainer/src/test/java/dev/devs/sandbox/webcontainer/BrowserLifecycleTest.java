package dev.devs.sandbox.webcontainer;

import dev.devs.sandbox.tck.Patience;
import static org.assertj.core.api.Assertions.assertThat;

import dev.devs.sandbox.tck.RecordingListener;
import dev.devs.sandbox.Sandbox;
import dev.devs.sandbox.SandboxLifecycleEvent;
import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.StartType;
import dev.devs.sandbox.StopOutcome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** One browser per driver: reused while it lives, relaunched when it died, ended by PID on close. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class BrowserLifecycleTest extends AgainstStandIn {


    /** Starts after the first: each must find the browser the first launched, so a few show it is kept, not relaunched. */
    private static final int WARM_STARTS = 4;

    @Test
    void startsInARowReuseOneWarmBrowserProcess() {
        RecordingListener events = new RecordingListener();
        WebContainerDriver driver = standInDriver();
        List<StartType> types = new ArrayList<>();
        try (SandboxProvider provider = SandboxProvider.builder(driver).listener(events).build()) {
            try (Sandbox first = provider.start(SandboxSpec.builder().build())) {
                types.add(first.startType());
            }
            leaks.track(driver);
            long pid = driver.browserProcess().orElseThrow().pid();
            for (int i = 0; i < WARM_STARTS; i++) {
                try (Sandbox sandbox = provider.start(SandboxSpec.builder().build())) {
                    types.add(sandbox.startType());
                    assertThat(driver.browserProcess().orElseThrow().pid()).as("browser pid at start %d", i + 2).isEqualTo(pid);
                }
            }
            assertThat(BrowserLeakCheck.browserProcessesOfThisJvm()).extracting(ProcessHandle::pid).containsExactly(pid);
        }
        assertThat(types.get(0)).isEqualTo(StartType.COLD);
        assertThat(types.subList(1, types.size())).hasSize(WARM_STARTS).containsOnly(StartType.WARM);
        assertThat(events.types().stream().filter(t -> t == SandboxLifecycleEvent.Type.STOPPED)).hasSize(1 + WARM_STARTS);
        assertThat(BrowserLeakCheck.browserProcessesOfThisJvm()).isEmpty();
    }

    @Test
    void concurrentStartsShareOneBrowserAndEachGetsItsOwnContext() throws Exception {
        WebContainerDriver driver = standInDriver();
        try (SandboxProvider provider = SandboxProvider.of(driver)) {
            List<java.util.concurrent.CompletableFuture<Sandbox>> starts = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                starts.add(provider.startAsync(SandboxSpec.builder().build()));
            }
            List<Sandbox> sandboxes = new ArrayList<>();
            for (var f : starts) {
                sandboxes.add(f.get(60, TimeUnit.SECONDS));
            }
            leaks.track(driver);
            // Each waited for the one launch, so each paid for it: all cold, one browser.
            assertThat(sandboxes).extracting(Sandbox::startType).containsOnly(StartType.COLD);
            assertThat(sandboxes).allSatisfy(s -> assertThat(s.phases()).containsKey(WebContainerDriver.PHASE_LAUNCH_BROWSER));
            assertThat(BrowserLeakCheck.browserProcessesOfThisJvm()).hasSize(1);
            assertThat(driver.browserConnection().orElseThrow().browserContextIds(Duration.ofSeconds(5))).hasSize(4);
            for (Sandbox s : sandboxes) {
                assertThat(s.exec("cat", Readiness.FILE).stdout()).isEqualTo("ready " + s.id());
            }
            sandboxes.forEach(Sandbox::stop);
            assertThat(driver.browserConnection().orElseThrow().browserContextIds(Duration.ofSeconds(5))).isEmpty();
        }
    }

    @Test
    void browserKilledUnderneathIsRelaunchedByTheNextStart() throws Exception {
        RecordingListener events = new RecordingListener();
        WebContainerDriver driver = standInDriver();
        try (SandboxProvider provider = SandboxProvider.builder(driver).listener(events).build()) {
            Sandbox victim = provider.start(SandboxSpec.builder().build());
            leaks.track(driver);
            ProcessHandle first = driver.browserProcess().orElseThrow();
            Path firstProfile = driver.browserProfileDir().orElseThrow();

            // Kill it by PID, as the OOM killer or an operator would.
            assertThat(first.destroyForcibly()).isTrue();
            first.onExit().get(10, TimeUnit.SECONDS);
            Awaitility.await("driver to notice its browser died").atMost(Patience.seconds(5)).until(() -> !driver.browserAlive());
            assertThat(victim.isAlive()).isFalse();
            assertThat(victim.stop()).as("a sandbox whose browser died").isEqualTo(StopOutcome.KILLED);
            assertThat(events.last().type()).isEqualTo(SandboxLifecycleEvent.Type.KILLED);

            try (Sandbox next = provider.start(SandboxSpec.builder().build())) {
                leaks.track(driver);
                assertThat(next.startType()).isEqualTo(StartType.COLD);
                assertThat(next.phases()).containsKey(WebContainerDriver.PHASE_LAUNCH_BROWSER);
                assertThat(next.exec("echo", "again").stdout()).isEqualTo("again\n");
                ProcessHandle second = driver.browserProcess().orElseThrow();
                assertThat(second.pid()).isNotEqualTo(first.pid());
                assertThat(firstProfile).as("the dead browser's profile directory").doesNotExist();
            }
        }
        assertThat(driver.browserProcess()).isEmpty();
    }

    @Test
    void aProfileParentWithALongPathStillLaunchesAndLeavesNothingBehind(@TempDir Path temp) throws Exception {
        // Chromium puts its singleton socket at <TMPDIR>/org.chromium.Chromium.XXXXXX/SingletonSocket and aborts
        // when that path exceeds a Unix socket's 107 bytes: a temp dir like a CI's or macOS's must still work.
        Path parent = Files.createDirectories(temp.resolve("profiles-of-the-webcontainer-driver-under-test"));
        WebContainerDriver driver = WebContainerDriver.builder().endpoint(runtime.endpoint()).profileParent(parent).build();
        Path tmp;
        try (SandboxProvider provider = SandboxProvider.of(driver)) {
            try (Sandbox sandbox = provider.start(SandboxSpec.builder().build())) {
                leaks.track(driver);
                tmp = driver.browserTempDir().orElseThrow();
                assertThat(sandbox.startType()).isEqualTo(StartType.COLD);
                assertThat(sandbox.exec("echo", "deep").stdout()).isEqualTo("deep\n");
            }
        }
        driver.close();
        try (var left = Files.list(parent)) {
            assertThat(left.toList()).as("left in the profile parent").isEmpty();
        }
        assertThat(tmp).as("the browser's own TMPDIR").doesNotExist();
    }

    @Test
    void closeEndsTheBrowserByPidRemovesItsProfileAndIsIdempotent() throws Exception {
        WebContainerDriver driver = standInDriver();
        SandboxProvider provider = SandboxProvider.of(driver);
        Sandbox sandbox = provider.start(SandboxSpec.builder().build());
        leaks.track(driver);
        ProcessHandle browser = driver.browserProcess().orElseThrow();
        List<ProcessHandle> children = browser.descendants().toList();
        Path profile = driver.browserProfileDir().orElseThrow();
        assertThat(children).isNotEmpty();
        assertThat(Files.isDirectory(profile)).isTrue();
        // Chromium's own temp files (singleton socket) live inside the profile, not in the shared /tmp.
        try (var tmpEntries = Files.list(profile.resolve("tmp"))) {
            assertThat(tmpEntries.map(p -> p.getFileName().toString())).anyMatch(n -> n.startsWith("org.chromium."));
        }

        provider.close(); // stops the live sandbox, then closes the driver
        driver.close();

        assertThat(sandbox.isAlive()).isFalse();
        assertThat(browser.isAlive()).isFalse();
        assertThat(children).noneMatch(Browser::isRunning);
        assertThat(profile).doesNotExist();
        assertThat(driver.browserProcess()).isEmpty();
    }

    @Test
    void driverClosedDuringAStartFailsItSayingSoAndLeavesNothingBehind() throws Exception {
        WebContainerDriver driver = standInDriver();
        RecordingListener events = new RecordingListener();
        SandboxProvider provider = SandboxProvider.builder(driver).listener(events).build();
        // Warm the browser first so the start below is past the launch when the driver goes, inside its boot or its
        // readiness probe: a probe that cannot pass before the close, so the start is under way whenever it comes.
        provider.start(SandboxSpec.builder().build()).stop();
        leaks.track(driver);
        var start = java.util.concurrent.CompletableFuture.supplyAsync(() -> provider.start(SandboxSpec.builder()
                .readinessProbe("sleep", "600").startupTimeout(Duration.ofMinutes(10)).build()));
        Awaitility.await().atMost(Patience.seconds(20)).until(() -> events.types().size() >= 4); // STARTING of the 2nd
        assertThat(start).as("the second start before the close").isNotDone();

        driver.close();

        assertThat(start).failsWithin(Patience.seconds(10)).withThrowableThat()
                .havingRootCause().isNotNull();
        Throwable error = events.last(SandboxLifecycleEvent.Failed.class).error();
        assertThat(events.last().type()).isEqualTo(SandboxLifecycleEvent.Type.FAILED);
        assertThat(error).hasMessageMatching("(?s).*WebContainerDriver (was|is) closed.*");
        assertThat(BrowserLeakCheck.browserProcessesOfThisJvm()).isEmpty();
        provider.close();
    }
}
