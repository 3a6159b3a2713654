package dev.devs.sandbox.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The driver pulls one tag from the registry the engine would ask, and names that registry in errors. */
class ImageReferenceTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(nullValues = "-", value = {
            "busybox,                          docker.io,          busybox,                  latest, -",
            "busybox:1.36,                     docker.io,          busybox,                  1.36,   -",
            "library/busybox:1,                docker.io,          library/busybox,          1,      -",
            "devs-sandbox-busybox:1,           docker.io,          devs-sandbox-busybox,     1,      -",
            "localhost:5000/app:2,             localhost:5000,     localhost:5000/app,       2,      -",
            "localhost/app,                    localhost,          localhost/app,            latest, -",
            "registry.example.com/team/app:v1, registry.example.com, registry.example.com/team/app, v1, -",
            "[::1]:5000/app:1,                 [::1]:5000,         [::1]:5000/app,           1,      -",
            "app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef, docker.io, app, -, sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    })
    void splitsLikeTheEngine(String ref, String registry, String repository, String tag, String digest) {
        ImageReference r = ImageReference.parse(ref);
        assertThat(r.registry()).isEqualTo(registry);
        assertThat(r.repository()).isEqualTo(repository);
        assertThat(r.tag()).isEqualTo(tag);
        assertThat(r.digest()).isEqualTo(digest);
        assertThat(r.reference()).isEqualTo(ref);
    }

    @ParameterizedTest
    @ValueSource(strings = {"BusyBox", "busybox:", "busybox:-1", ":1", "a//b", "app@sha256:xyz", "-app", "team/App:1"})
    void rejectsWhatTheEngineWouldRefuse(String ref) {
        assertThatThrownBy(() -> ImageReference.parse(ref))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("image '" + ref + "' is not a valid image reference");
    }
}
