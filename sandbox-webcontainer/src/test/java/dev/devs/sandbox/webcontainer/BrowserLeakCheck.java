package dev.devs.sandbox.webcontainer;

import dev.devs.sandbox.tck.Patience;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.awaitility.Awaitility;

/**
 * Remembers every Chromium process and profile directory the tests' drivers created, and checks that none
 * outlives its driver. Processes are found by PID through this JVM's process tree, never by name across the
 * machine: other test JVMs run their own browsers at the same time.
 */
final class BrowserLeakCheck {

    private final Set<ProcessHandle> processes = ConcurrentHashMap.newKeySet();
    private final Set<Path> profiles = ConcurrentHashMap.newKeySet();

    /** Records the driver's current browser, its children and its profile directory. */
    void track(WebContainerDriver driver) {
        driver.browserProcess().ifPresent(p -> {
            processes.add(p);
            p.descendants().forEach(processes::add);
        });
        driver.browserProfileDir().ifPresent(profiles::add);
        driver.browserTempDir().ifPresent(profiles::add);
    }

    /** Chromium processes (any type) that descend from this JVM. */
    static List<ProcessHandle> chromiumProcessesOfThisJvm() {
        return ProcessHandle.current().descendants()
                .filter(Browser::isRunning)
                .filter(p -> p.info().command().map(c -> c.contains("chrom")).orElse(false))
                .toList();
    }

    /**
     * Chromium browser (main) processes this JVM started: its direct children. Chromium's own helpers are children
     * of the browser (and, between fork and exec, look exactly like it).
     */
    static List<ProcessHandle> browserProcessesOfThisJvm() {
        // Each browser runs under a shell watchdog this JVM started: a main Chromium process is a Chromium whose
        // parent is not one.
        return ProcessHandle.current().descendants()
                .filter(Browser::isRunning)
                .filter(BrowserLeakCheck::isChromium)
                .filter(p -> p.parent().map(parent -> !isChromium(parent)).orElse(true))
                .toList();
    }

    private static boolean isChromium(ProcessHandle p) {
        return p.info().command().map(c -> c.contains("chrom")).orElse(false);
    }

    /** Asserts that no tracked process runs, no Chromium descends from this JVM and no tracked profile remains. */
    void assertNothingLeft() {
        Awaitility.await("tracked Chromium processes to exit").atMost(Patience.seconds(10))
                .pollInterval(Duration.ofMillis(100))
                .untilAsserted(() -> {
                    assertThat(processes.stream().filter(Browser::isRunning).map(ProcessHandle::pid).toList())
                            .as("tracked Chromium processes still running").isEmpty();
                    assertThat(chromiumProcessesOfThisJvm().stream().map(ProcessHandle::pid).toList())
                            .as("Chromium processes descending from this JVM").isEmpty();
                });
        assertThat(profiles.stream().filter(Files::exists).toList()).as("Chromium profile directories left behind").isEmpty();
    }
}
