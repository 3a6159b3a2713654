package dev.devs.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class SandboxSpecTest {

    private static void rejects(UnaryOperator<SandboxSpec.Builder> change, String... messageParts) {
        SandboxSpec.Builder b = change.apply(SandboxSpec.builder("img:1"));
        var thrown = assertThatThrownBy(b::build).isInstanceOf(IllegalArgumentException.class);
        for (String part : messageParts) {
            thrown.hasMessageContaining(part);
        }
    }

    @Test
    void defaultsAreTheSecureOnes() {
        SandboxSpec spec = SandboxSpec.builder("img:1").build();
        assertThat(spec.network()).isEqualTo("none");
        assertThat(spec.readOnlyRootFs()).isTrue();
        assertThat(spec.user()).isEqualTo(SandboxSpec.DEFAULT_USER);
        assertThat(spec.memoryBytes()).isEqualTo(SandboxSpec.DEFAULT_MEMORY_BYTES);
        assertThat(spec.pidsLimit()).isEqualTo(SandboxSpec.DEFAULT_PIDS_LIMIT);
        assertThat(spec.workDir()).isEqualTo("/workspace");
        assertThat(spec.stopGracePeriod()).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void badValuesAreRejectedNamingFieldAndValue() {
        rejects(b -> b.image("has space"), "image", "'has space'");
        rejects(b -> b.image(" "), "image");
        rejects(b -> b.env("A=B", "x"), "env key", "'A=B'");
        rejects(b -> b.cpus(-1), "cpus", "-1");
        rejects(b -> b.cpus(Double.NaN), "cpus", "NaN");
        rejects(b -> b.memoryBytes(1024), "memoryBytes", "1024", "6 MiB");
        rejects(b -> b.pidsLimit(-5), "pidsLimit", "-5");
        rejects(b -> b.network(""), "network");
        rejects(b -> b.workDir("relative/dir"), "workDir", "'relative/dir'");
        rejects(b -> b.scratchVolume("/data").scratchVolume("/data"), "scratchVolumes", "/data");
        rejects(b -> b.scratchVolume("/a/../etc"), "scratchVolumes", "'/a/../etc'");
        rejects(b -> b.scratchVolume("/workspace"), "scratchVolumes", "workDir");
        rejects(b -> b.startupTimeout(Duration.ZERO), "startupTimeout", "PT0S");
        rejects(b -> b.stopGracePeriod(Duration.ofSeconds(-1)), "stopGracePeriod");
        rejects(b -> b.label("dev.devs.sandbox.id", "x"), "label", "reserved");
        rejects(b -> b.runtime("run sc"), "runtime", "'run sc'", "runsc");
        rejects(b -> b.runtime("-x"), "runtime", "'-x'");
    }

    @Test
    void runtimeDefaultsToTheDriversOwnAndSurvivesToBuilder() {
        assertThat(SandboxSpec.builder("img:1").build().runtime()).isEmpty();
        SandboxSpec spec = SandboxSpec.builder("img:1").runtime("runsc").build();
        assertThat(spec.runtime()).isEqualTo("runsc");
        assertThat(spec.toBuilder().build()).isEqualTo(spec);
    }

    @Test
    void collectionsAreCopiedSoTheSpecStaysImmutable() {
        var builder = SandboxSpec.builder("img:1").command("sleep", "1").env("A", "1");
        SandboxSpec spec = builder.build();
        builder.env("B", "2");
        assertThat(spec.env()).containsOnlyKeys("A");
        assertThatThrownBy(() -> spec.command().add("x")).isInstanceOf(UnsupportedOperationException.class);
        assertThat(spec.toBuilder().build()).isEqualTo(spec);
    }

    @Test
    void specsWithEqualValuesAreEqualAndPrintEveryValue() {
        SandboxSpec a = SandboxSpec.builder("img:1").env("A", "1").cpus(0.5).label("team", "x").build();
        SandboxSpec b = SandboxSpec.builder("img:1").env("A", "1").cpus(0.5).label("team", "x").build();
        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b).isNotEqualTo(a.toBuilder().cpus(0.25).build());
        assertThat(a.toString()).startsWith("SandboxSpec[image=img:1, command=[], env={A=1}, cpus=0.5,")
                .endsWith(", labels={team=x}, runtime=, maxLifetime=PT1H, minimumRunningTime=PT0S, ports=[]]");
    }

    @Test
    void imageIsOptionalForDriversThatNeedNone() {
        assertThat(SandboxSpec.builder().build().image()).isNull();
    }

    @Test
    void startTypeWireNamesRoundTrip() {
        for (StartType t : StartType.values()) {
            assertThat(StartType.fromWireName(t.wireName())).isEqualTo(t);
        }
        assertThatThrownBy(() -> StartType.fromWireName("tepid")).hasMessageContaining("'tepid'").hasMessageContaining("cold, warm, pooled");
    }
}
