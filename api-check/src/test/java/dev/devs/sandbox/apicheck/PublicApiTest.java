package dev.devs.sandbox.apicheck;

import static org.assertj.core.api.Assertions.assertThat;

import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.docker.DockerDriver;
import dev.devs.sandbox.kubernetes.KubernetesDriver;
import dev.devs.sandbox.metrics.SandboxMetrics;
import dev.devs.sandbox.tck.SandboxDriverContract;
import dev.devs.sandbox.webcontainer.WebContainerDriver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The public API of every published module, compared with the listing committed in {@code api/<module>.txt}: a
 * public or protected type, constructor, method or field that appears, goes or changes its signature fails the
 * build until the listing records it. Packages named {@code internal} are not API (their package-info says so) and
 * are left out. To record a deliberate change, run (then review and commit the diff of {@code api/}):
 *
 * <pre>mvn -B verify -pl api-check -am -Dtest=PublicApiTest -Dsurefire.failIfNoSpecifiedTests=false -Dapi.update=true</pre>
 */
class PublicApiTest {

    /** Each published module by name, with one of its classes to find its classes by. */
    private static final Map<String, Class<?>> MODULES = new TreeMap<>(Map.of(
            "sandbox-core", SandboxProvider.class,
            "sandbox-tck", SandboxDriverContract.class,
            "sandbox-docker", DockerDriver.class,
            "sandbox-webcontainer", WebContainerDriver.class,
            "sandbox-kubernetes", KubernetesDriver.class,
            "sandbox-metrics", SandboxMetrics.class));

    @TestFactory
    Stream<DynamicTest> publicApiIsTheRecordedOne() {
        Path dir = Path.of(System.getProperty("api.dir", "../api"));
        boolean update = Boolean.getBoolean("api.update");
        return MODULES.entrySet().stream().map(m -> DynamicTest.dynamicTest(m.getKey(), () -> {
            List<String> now = ApiListing.of(classesOf(m.getValue()), m.getValue().getClassLoader());
            Path recorded = dir.resolve(m.getKey() + ".txt");
            if (update) {
                Files.createDirectories(dir);
                Files.writeString(recorded, String.join("\n", now) + "\n", StandardCharsets.UTF_8);
            }
            assertThat(recorded).as("api listing of %s", m.getKey()).exists();
            List<String> was = Files.readAllLines(recorded, StandardCharsets.UTF_8);
            List<String> added = new ArrayList<>(now);
            added.removeAll(was);
            List<String> removed = new ArrayList<>(was);
            removed.removeAll(now);
            assertThat(now)
                    .as("the public API of %s differs from %s%n  not recorded:%n    %s%n  recorded but gone:%n    %s%n"
                            + "If the change is deliberate, record it with -Dapi.update=true (see PublicApiTest) and commit"
                            + " the diff.", m.getKey(), recorded, String.join("\n    ", added), String.join("\n    ", removed))
                    .isEqualTo(was);
        }));
    }

    /** The binary names of the classes in the jar or directory {@code anchor} was loaded from. */
    private static List<String> classesOf(Class<?> anchor) {
        try {
            Path root = Path.of(anchor.getProtectionDomain().getCodeSource().getLocation().toURI());
            List<String> names = new ArrayList<>();
            if (Files.isDirectory(root)) {
                try (Stream<Path> files = Files.walk(root)) {
                    files.filter(f -> f.toString().endsWith(".class"))
                            .forEach(f -> names.add(binaryName(root.relativize(f).toString().replace(java.io.File.separatorChar, '/'))));
                }
            } else {
                try (java.util.jar.JarFile jar = new java.util.jar.JarFile(root.toFile())) {
                    jar.stream().map(java.util.jar.JarEntry::getName).filter(n -> n.endsWith(".class"))
                            .forEach(n -> names.add(binaryName(n)));
                }
            }
            names.removeIf(n -> n.endsWith("module-info") || n.endsWith("package-info"));
            return names;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String binaryName(String path) {
        return path.substring(0, path.length() - ".class".length()).replace('/', '.');
    }
}
