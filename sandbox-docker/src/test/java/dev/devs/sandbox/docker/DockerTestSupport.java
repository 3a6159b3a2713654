package dev.devs.sandbox.docker;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectVolumeResponse;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import dev.devs.sandbox.ResourceLabels;
import dev.devs.sandbox.SandboxLifecycleEvent;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.tck.Patience;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * What the Docker tests share: the image to use, an independent engine client for assertions (not the
 * driver's), the Docker CLI as the cleanup check of docs/design.md ("Docker resources and labels") uses it,
 * and a copy of the tiny image in the loopback registry for cold starts.
 */
final class DockerTestSupport {

    /** The small image every test runs (busybox-static on scratch). */
    static final String TINY_IMAGE = envOr("DEVS_TINY_IMAGE", "devs-sandbox-busybox:1");
    /**
     * True when these tests run against Podman's Docker-compatible API (the {@code podman} surefire execution sets
     * {@code DEVS_ENGINE}): the few checks of what the engine reports that differ there say so where they branch.
     */
    static final boolean PODMAN = "podman".equals(System.getenv("DEVS_ENGINE"));
    /** The loopback registry the cold-start tests pull from. */
    static final String REGISTRY = envOr("DEVS_REGISTRY", "localhost:5000");

    /**
     * How long a test polls for something the code under test makes happen promptly: generous, so that a
     * loaded machine slows the test down rather than failing it. Tests assert what happens, not how fast.
     * Scaled by {@link Patience} ({@code -Ddevs.test.patience=3} on a machine three times slower).
     */
    static final Duration PATIENCE = Patience.seconds(20);

    private static DockerClient api;

    private DockerTestSupport() {
    }

    static String envOr(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : v.trim();
    }

    /** A long-running sandbox spec on the tiny image with the secure defaults. */
    static SandboxSpec.Builder sleeper() {
        return SandboxSpec.builder(TINY_IMAGE).command("sleep", "600");
    }

    /**
     * A sandbox whose main process ignores SIGTERM: the shell ignores it and its {@code sleep} inherits the
     * ignored disposition, so the engine's init forwards SIGTERM to no avail and stop must kill.
     */
    static SandboxSpec.Builder ignoringSigterm() {
        return SandboxSpec.builder(TINY_IMAGE).command("sh", "-c", "trap '' TERM; sleep 600");
    }

    /** An engine client of the tests' own, so that assertions do not trust the code under test. */
    static synchronized DockerClient api() {
        if (api == null) {
            DockerClientConfig config = DefaultDockerClientConfig.createDefaultConfigBuilder().build();
            api = DockerClientImpl.getInstance(config, new ApacheDockerHttpClient.Builder()
                    .dockerHost(config.getDockerHost()).connectionTimeout(Duration.ofSeconds(3)).build());
        }
        return api;
    }

    static List<Container> containersLabelled(String key, String value) {
        return api().listContainersCmd().withShowAll(true).withLabelFilter(Map.of(key, value)).exec();
    }

    static List<InspectVolumeResponse> volumesLabelled(String key, String value) {
        List<InspectVolumeResponse> volumes = api().listVolumesCmd().withFilter("label", List.of(key + "=" + value)).exec().getVolumes();
        return volumes == null ? List.of() : volumes;
    }

    /** Runs the Docker CLI and returns its stdout lines; fails the test if it does not exit 0 within 20 s. */
    static List<String> cli(String... args) {
        List<String> command = new ArrayList<>();
        command.add("docker");
        command.addAll(Arrays.asList(args));
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(false).start();
            p.getOutputStream().close();
            if (!p.waitFor(PATIENCE.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(command + " did not finish within " + PATIENCE);
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new AssertionError(command + " exited " + p.exitValue() + ": " + err.strip());
            }
            return out.lines().map(String::strip).filter(l -> !l.isEmpty()).collect(Collectors.toList());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted running " + command, e);
        }
    }

    /** {@code docker ps -a} of everything labelled with this sandbox id, as docs/design.md's cleanup check runs it. */
    static List<String> cliContainersOf(String sandboxId) {
        return cli("ps", "-a", "--filter", "label=" + ResourceLabels.SANDBOX_ID + "=" + sandboxId, "--format", "{{.ID}} {{.Names}}");
    }

    /** {@code docker volume ls} of everything labelled with this sandbox id. */
    static List<String> cliVolumesOf(String sandboxId) {
        if (PODMAN) {
            // Podman gives anonymous volumes no labels (docs/operations/podman.md): ask the container for its volumes.
            List<String> ids = cli("ps", "-aq", "--filter", "label=" + ResourceLabels.SANDBOX_ID + "=" + sandboxId);
            List<String> names = new ArrayList<>();
            for (String id : ids) {
                names.addAll(cli("inspect", "--format", "{{range .Mounts}}{{if eq .Type \"volume\"}}{{.Name}} {{end}}{{end}}", id)
                        .stream().flatMap(l -> Arrays.stream(l.split(" "))).filter(n -> !n.isBlank()).toList());
            }
            return names;
        }
        return cli("volume", "ls", "--filter", "label=" + ResourceLabels.SANDBOX_ID + "=" + sandboxId, "--format", "{{.Name}}");
    }

    /** Asserts, through the CLI and the API, that no container or volume of this sandbox exists. */
    static void assertNothingLeftOf(String sandboxId) {
        assertThat(cliContainersOf(sandboxId)).as("docker ps -a for sandbox %s", sandboxId).isEmpty();
        assertThat(containersLabelled(ResourceLabels.SANDBOX_ID, sandboxId)).as("API containers of sandbox %s", sandboxId).isEmpty();
        assertThat(cliVolumesOf(sandboxId)).as("docker volume ls for sandbox %s", sandboxId).isEmpty();
        assertThat(volumesLabelled(ResourceLabels.SANDBOX_ID, sandboxId)).as("API volumes of sandbox %s", sandboxId).isEmpty();
        assertThat(cli("ps", "-a", "--filter", "name=" + ResourceLabels.NAME_PREFIX + sandboxId, "--format", "{{.Names}}"))
                .as("containers named after sandbox %s", sandboxId).isEmpty();
    }

    /** The sandbox id of the first STARTING event (for starts that threw and returned no sandbox). */
    static String startedId(List<SandboxLifecycleEvent> events) {
        return events.stream().filter(e -> e.type() == SandboxLifecycleEvent.Type.STARTING).findFirst()
                .orElseThrow(() -> new AssertionError("no STARTING event among " + events)).sandboxId();
    }

    /** A loopback TCP port nothing listens on (bound, then released). */
    static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Pushes a copy of the tiny image to the loopback registry under a unique name and removes that name
     * locally, so that a start from it must pull. The caller removes the local tag afterwards with
     * {@link #removeLocalImage}.
     */
    static String pushUniqueCopyToRegistry() {
        requireRegistry();
        String ref = REGISTRY + "/devs-docker-test-cold-" + UUID.randomUUID().toString().substring(0, 8) + ":1";
        cli("tag", TINY_IMAGE, ref);
        try {
            cli("push", "--quiet", ref);
        } finally {
            cli("rmi", ref);
        }
        assertThat(cli("images", "-q", ref)).as("local copy of %s after rmi", ref).isEmpty();
        return ref;
    }

    /** Removes a local image tag if present (only the tag: the tiny image it points to stays). */
    static void removeLocalImage(String ref) {
        if (!cli("images", "-q", ref).isEmpty()) {
            cli("rmi", ref);
        }
    }

    private static void requireRegistry() {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create("http://" + REGISTRY + "/v2/").toURL().openConnection();
            c.setConnectTimeout(2000);
            c.setReadTimeout(2000);
            int code = c.getResponseCode();
            c.disconnect();
            if (code != 200) {
                throw new AssertionError("registry " + REGISTRY + " answered /v2/ with HTTP " + code);
            }
        } catch (IOException e) {
            throw new AssertionError("the loopback registry " + REGISTRY + " does not answer (" + e
                    + "); scripts/test.sh starts it (env_ensure_registry in scripts/lib/env.sh)", e);
        }
    }

    /** Prints one measured figure in a greppable form; tests never assert timings. */
    static void timing(String what, Duration d, Object details) {
        System.out.printf(java.util.Locale.ROOT, "[docker-timing] %-28s %9.1f ms  %s%n", what, d.toNanos() / 1e6, details);
    }

    /**
     * Kills the sandbox's main process from inside. Its end ends the sandbox's init, and the kernel then kills every
     * process of the sandbox, this exec's shell too if it has not exited yet: exit 137 (SIGKILL) says the kill
     * happened as surely as 0. On Podman the container can end (and be auto-removed) before the exec's end is read,
     * and the exec then fails saying the sandbox is not running: the kill happened.
     */
    static void killMainProcess(dev.devs.sandbox.Sandbox sandbox) {
        try {
            assertThat(sandbox.exec("sh", "-c", "kill -KILL $(pidof sleep)").exitCode()).isIn(0, 137);
        } catch (dev.devs.sandbox.SandboxException e) {
            if (!PODMAN || !String.valueOf(e.getMessage()).contains("is not running")) {
                throw e;
            }
        }
    }
}
