package dev.devs.sandbox.webcontainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.devs.sandbox.tck.RecordingListener;
import dev.devs.sandbox.SandboxLifecycleEvent;
import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxRuntimeUnavailableException;
import dev.devs.sandbox.SandboxSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Bad values fail clearly, in bounded time, before any browser is launched, and leave nothing behind. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class WebContainerBadInputTest {

    @TempDir
    Path tmp;
    private List<Long> browsersBefore;

    @BeforeEach
    void rememberBrowsers() {
        browsersBefore = pids(BrowserLeakCheck.browserProcessesOfThisJvm());
    }

    @AfterEach
    void noBrowserWasLaunched() {
        assertThat(pids(BrowserLeakCheck.browserProcessesOfThisJvm())).isSubsetOf(browsersBefore);
    }

    @Test
    void missingChromiumBinaryIsRejectedByTheBuilder() {
        String missing = tmp.resolve("no-such-chromium").toString();
        assertThatThrownBy(() -> WebContainerDriver.builder().chromePath(missing).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("chromePath '" + missing + "' does not exist")
                .hasMessageContaining(WebContainerDriver.DEFAULT_CHROME_PATH);
    }

    @Test
    void chromiumPathThatIsNotAnExecutableFileIsRejectedByTheBuilder() throws IOException {
        Path notExecutable = Files.writeString(tmp.resolve("chromium.txt"), "not a browser");
        assertThatThrownBy(() -> WebContainerDriver.builder().chromePath(notExecutable).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(notExecutable.toString())
                .hasMessageContaining("not an executable file");
        assertThatThrownBy(() -> WebContainerDriver.builder().chromePath(tmp).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not an executable file");
    }

    @ParameterizedTest
    @ValueSource(strings = {"ftp://example.com", "file:///etc/passwd", "not a url", "http://", "localhost:8080",
            "http://127.0.0.1:8080/headless", "https://example.com/?x=1", "https://example.com#top", "http://user@example.com",
            "http://127.0.0.1:0", " "})
    void invalidEndpointIsRejectedByTheBuilderNamingTheValue(String endpoint) {
        assertThatThrownBy(() -> WebContainerDriver.builder().endpoint(endpoint).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("endpoint '" + endpoint + "'")
                .hasMessageContaining("e.g. https://stackblitz.com");
    }

    @ParameterizedTest
    @CsvSource({
            "HTTPS://StackBlitz.com, https://stackblitz.com",
            "https://stackblitz.com:443/, https://stackblitz.com",
            "http://127.0.0.1:80, http://127.0.0.1",
            "http://127.0.0.1:41234, http://127.0.0.1:41234"})
    void endpointIsKeptAsTheOriginTheClientWillUse(String given, String origin) {
        try (WebContainerDriver driver = WebContainerDriver.builder().endpoint(given).build()) {
            assertThat(driver.endpoint()).isEqualTo(origin);
        }
    }

    @Test
    void defaultsAreStackBlitzTheResolvedChromiumAndABootTimeoutOfAtMostFifteenSeconds() {
        try (WebContainerDriver driver = new WebContainerDriver(); WebContainerDriver built = WebContainerDriver.builder().build()) {
            assertThat(driver.endpoint()).isEqualTo("https://stackblitz.com");
            // The no-argument constructor resolves the binary exactly as the builder does (CHROME_PATH, else the default).
            assertThat(driver.chromePath()).isNotNull().isEqualTo(built.chromePath());
            assertThat(driver.bootTimeout()).isLessThanOrEqualTo(Duration.ofSeconds(15)).isPositive();
            assertThat(driver.name()).isEqualTo("webcontainer");
        }
    }

    @Test
    void invalidTimeoutsAndApiKeyAreRejectedByTheBuilder() {
        assertThatThrownBy(() -> WebContainerDriver.builder().bootTimeout(Duration.ZERO).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bootTimeout PT0S");
        assertThatThrownBy(() -> WebContainerDriver.builder().bootTimeout(Duration.ofHours(1)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bootTimeout PT1H");
        assertThatThrownBy(() -> WebContainerDriver.builder().launchTimeout(Duration.ofSeconds(-1)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("launchTimeout PT-1S");
        assertThatThrownBy(() -> WebContainerDriver.builder().apiKey("  ").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("apiKey (2 characters, value withheld)");
    }

    @Test
    void specsAWebContainerCannotHonourAreRejectedBeforeAnyEvent() {
        RecordingListener events = new RecordingListener();
        WebContainerDriver driver = WebContainerDriver.builder().endpoint("http://127.0.0.1:9").build();
        try (SandboxProvider provider = SandboxProvider.builder(driver).listener(events).build()) {
            assertThatThrownBy(() -> provider.start(SandboxSpec.builder("debian:bookworm").build()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("image 'debian:bookworm'");
            assertThatThrownBy(() -> provider.start(SandboxSpec.builder().runtime("runsc").build()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("runtime 'runsc'");
            assertThatThrownBy(() -> provider.start(SandboxSpec.builder().command("sleep", "60").build()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("command [sleep, 60]");
            assertThatThrownBy(() -> provider.start(SandboxSpec.builder().scratchVolume("/data").build()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("scratchVolumes [/data]");
            // What a browser cannot enforce is refused unless it is the spec's default; network only "none" (enforced).
            assertThatThrownBy(() -> provider.start(SandboxSpec.builder().network("bridge").build()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("network 'bridge'")
                    .hasMessageContaining("network \"none\"");
            assertThatThrownBy(() -> provider.start(SandboxSpec.builder().cpus(2).build()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cpus 2.0").hasMessageContaining("default (1.0)");
            assertThatThrownBy(() -> provider.start(SandboxSpec.builder().memoryBytes(1L << 30).build()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("memoryBytes 1073741824")
                    .hasMessageContaining("default (" + SandboxSpec.DEFAULT_MEMORY_BYTES + ")");
            assertThatThrownBy(() -> provider.start(SandboxSpec.builder().pidsLimit(16).build()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pidsLimit 16");
            assertThatThrownBy(() -> provider.start(SandboxSpec.builder().user("0:0").build()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("user '0:0'")
                    .hasMessageContaining("'" + SandboxSpec.DEFAULT_USER + "'");
            assertThat(events.events()).isEmpty();
            assertThat(driver.browserProcess()).isEmpty();
        }
    }

    @Test
    void chromiumBinaryThatVanishedFailsTheStartBeforeLaunching() throws IOException {
        Path chrome = Files.createFile(tmp.resolve("chromium"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path profiles = Files.createDirectory(tmp.resolve("profiles"));
        RecordingListener events = new RecordingListener();
        WebContainerDriver driver = WebContainerDriver.builder().chromePath(chrome).profileParent(profiles)
                .endpoint("http://127.0.0.1:9").build();
        Files.delete(chrome);
        try (SandboxProvider provider = SandboxProvider.builder(driver).listener(events).build()) {
            Throwable error = catchThrowable(() -> provider.start(SandboxSpec.builder().build()));
            assertThat(error).isInstanceOf(SandboxRuntimeUnavailableException.class)
                    .hasMessageContaining("Chromium binary " + chrome)
                    .hasMessageContaining("does not exist")
                    .hasMessageContaining("apt-get install chromium");
            assertThat(events.types()).containsExactly(SandboxLifecycleEvent.Type.STARTING, SandboxLifecycleEvent.Type.FAILED);
            assertThat(driver.browserProcess()).isEmpty();
        }
        assertThat(list(profiles)).isEmpty();
    }

    @Test
    void binaryThatIsNotChromiumFailsTheLaunchWithItsExitCodeAndLeavesNoProfile() throws IOException {
        Path profiles = Files.createDirectory(tmp.resolve("profiles"));
        WebContainerDriver driver = WebContainerDriver.builder().chromePath("/bin/false").profileParent(profiles)
                .endpoint("http://127.0.0.1:9").build();
        try (SandboxProvider provider = SandboxProvider.of(driver)) {
            Throwable error = catchThrowable(() -> provider.start(SandboxSpec.builder().build()));
            assertThat(error).isInstanceOf(SandboxRuntimeUnavailableException.class)
                    .hasMessageContaining("cannot launch Chromium")
                    .hasMessageContaining("exited with code 1 before printing its DevTools address");
            assertThat(driver.browserProcess()).isEmpty();
        }
        assertThat(list(profiles)).isEmpty();
    }

    private static List<Path> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        }
    }

    private static List<Long> pids(List<ProcessHandle> processes) {
        return processes.stream().map(ProcessHandle::pid).toList();
    }
}
